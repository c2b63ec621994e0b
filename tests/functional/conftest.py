"""Fixtures for tests against AWS APIs served in-process by moto (`mock_aws`); no client exists at import."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("LEVANTE_INDEX_SHARDS", "1")  # as the fixtures' Settings(): one layout per test
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")


@pytest.fixture
def mocked_aws(aws_env: None) -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def backend(mocked_aws: None):
    from chalicelib.services.backend import Backend
    from chalicelib.services.resources import init_resources
    from chalicelib.store.settings import Settings

    settings = Settings(prefix=f"t{uuid.uuid4().hex[:8]}", stage="test", heartbeat_timeout=300.0)
    backend = Backend(settings)
    init_resources(backend)
    return backend


@pytest.fixture
def queue_only(backend):
    """No hand-offs (services/handoff.py): every ready task goes through SQS, for the tests that stage faults
    around a task's message (a duplicate, a lost send, a worker dying between claim and finish)."""
    import dataclasses

    backend.settings = dataclasses.replace(backend.settings, handoff_seconds=0)
    return backend
