"""Fixtures for the worker reliability tests: moto in this process (`mock_aws`), the real worker handler
(each try in a real forked child), a DAGs folder in tmp_path. Import the fixtures into a test module."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.functional.harness import T0, Env


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path):
    from moto import mock_aws

    from chalicelib.services.backend import Backend
    from chalicelib.services.resources import init_resources
    from chalicelib.store.settings import Settings

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_REGION", "us-east-1"),
                        ("LEVANTE_INDEX_SHARDS", "1")):
        monkeypatch.setenv(name, value)
    with mock_aws():
        backend = Backend(Settings(prefix=f"r{uuid.uuid4().hex[:8]}", stage="test", heartbeat_timeout=300.0,
                                   kill_grace=2.0))
        init_resources(backend)
        yield Env(backend, tmp_path)


def with_settings(env: Env, **changes) -> None:
    """The same stack with other knobs (a heartbeat timeout of a second, ...)."""
    from dataclasses import replace

    env.backend.settings = replace(env.backend.settings, **changes)


__all__ = ["env", "with_settings", "T0", "timedelta"]
