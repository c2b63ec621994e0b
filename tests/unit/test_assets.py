"""Asset conditions (AssetAll / AssetAny / a list of assets), evaluated purely over the uris with events."""

from __future__ import annotations

import pytest

from chalicelib.core.assets import AssetConditionError, describe, is_met, uris, validate

A, B, C = {"asset": "s3://a"}, {"asset": "s3://b"}, {"asset": "s3://c"}


def test_a_single_asset_needs_its_event():
    assert is_met(A, {"s3://a"}) and not is_met(A, {"s3://b"}) and not is_met(A, set())


def test_all_needs_every_asset_and_any_needs_one():
    both = {"all": [A, B]}
    assert not is_met(both, {"s3://a"}) and is_met(both, {"s3://a", "s3://b"})
    either = {"any": [A, B]}
    assert is_met(either, {"s3://b"}) and not is_met(either, {"s3://c"})


def test_nested_conditions():
    cond = {"all": [A, {"any": [B, C]}]}  # a & (b | c)
    assert is_met(cond, {"s3://a", "s3://c"})
    assert not is_met(cond, {"s3://b", "s3://c"})
    assert describe(cond) == "s3://a & (s3://b | s3://c)"
    assert uris(cond) == ["s3://a", "s3://b", "s3://c"]


@pytest.mark.parametrize("bad", [{}, {"asset": ""}, {"all": []}, {"every": [A]}, {"any": [A], "all": [B]}, "s3://a"])
def test_malformed_conditions_are_refused(bad):
    with pytest.raises(AssetConditionError):
        validate(bad)
