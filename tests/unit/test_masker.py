"""The secrets masker: registered values and their embedded forms become ***, in text and in structures."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from chalicelib.sdk.masker import SecretsMasker, should_hide_value_for_key

SECRET = 'pa"ss/w0rd\\ü'


@pytest.fixture
def m() -> SecretsMasker:
    masker = SecretsMasker()
    masker.add(SECRET)
    return masker


def test_masks_plain_embedded_json_escaped_and_quoted_forms(m: SecretsMasker) -> None:
    for text in (f"before{SECRET}after", json.dumps({"v": SECRET}), json.dumps({"v": SECRET}, ensure_ascii=False),
                 json.dumps(json.dumps({"v": SECRET})), f"postgres://u:{quote(SECRET, safe='')}@h/db", repr(SECRET)):
        masked = m.mask_text(text)
        assert "***" in masked and "0rd" not in masked, text


def test_structures_and_sensitive_keys(m: SecretsMasker) -> None:
    value = {"cmd": f"echo {SECRET}", "items": [SECRET, "ok"], "api_key": "short", "file_token": "abc123"}
    assert m.redact(value) == {"cmd": "echo ***", "items": ["***", "ok"], "api_key": "***", "file_token": "***"}
    assert m.redact(value, by_key=False) == {"cmd": "echo ***", "items": ["***", "ok"], "api_key": "short",
                                             "file_token": "abc123"}


def test_short_values_and_names() -> None:
    masker = SecretsMasker()
    masker.add("abc")  # shorter than Airflow's min_length_masked_secret (5): would mask half of every log
    masker.add("long-enough-value", name="region")  # a name that is not secret
    assert not masker
    masker.add({"user": "someone", "password": "hunter22"})
    assert masker.mask_text("someone hunter22") == "someone ***"
    assert should_hide_value_for_key("DB_PASSWORD") and should_hide_value_for_key("my-secret")
    assert not should_hide_value_for_key("region")


def test_extra_sensitive_names_from_airflow_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES", "dsn, pin")
    assert should_hide_value_for_key("warehouse_dsn") and should_hide_value_for_key("PIN")
