"""Fixtures for tests against AWS APIs served in-process by moto (`mock_aws`); no client exists at import."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.functional.harness import instance_name

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


def utcnow() -> datetime:
    return datetime.now(UTC)


class ImmediateSqsQueue:
    """Real SQS (moto), but retry delays are not waited for: the `--no-retry-wait` of distributed tests."""

    def __init__(self, settings):
        from chalicelib.taskqueue import SqsTaskQueue

        self.sqs = SqsTaskQueue(settings)
        self.delays: list[int] = []

    def send(self, messages):
        self.delays.extend(delay for _, delay in messages)
        return self.sqs.send([(msg, 0) for msg, _ in messages])


class Stack:
    """The distributed pieces driven synchronously: sync, trigger, drain the queue through the worker, tick."""

    def __init__(self, backend, folder: Path):
        from chalicelib.services.dagcache import DagCache
        from chalicelib.taskqueue import SqsTaskQueue

        backend.queue_override = ImmediateSqsQueue(backend.settings)
        backend.__dict__.pop("queue", None)
        self.backend = backend
        self.folder_path = Path(folder)
        self.folder = str(folder)
        from chalicelib.store.bundles import BundleStore

        self.bundles = BundleStore(backend.blobs)  # versions are content-addressed: a shared cache is safe
        self.dags = DagCache(self.folder, fetch=self.bundles.fetch)
        self.queue = SqsTaskQueue(backend.settings)

    def sync(self, now: datetime | None = None):
        from chalicelib.services.sync import sync_dags

        return sync_dags(self.backend, self.folder, now or utcnow())

    def deploy(self, now: datetime | None = None, limits=None):
        """`levante dags deploy` of the folder, then the DAG processor on the new bundle (as on AWS)."""
        from chalicelib.services.bundles import publish_folder

        publish_folder(self.backend, self.folder, now or utcnow())
        return self.process(now, limits)

    def process(self, now: datetime | None = None, limits=None):
        from chalicelib.services.dag_processor import process_current_bundle

        return process_current_bundle(self.backend, now or utcnow(), bundles=self.bundles, limits=limits)

    def trigger(self, dag_id: str, **kwargs):
        from chalicelib.services.trigger import trigger_run

        return trigger_run(self.backend, dag_id, now=utcnow(), **kwargs)

    def drain(self, max_messages: int = 5000) -> int:
        """Handle messages until the queue is empty (delayed messages included); how many were handled."""
        from chalicelib.services.queue_poller import process_batch

        handled = 0
        idle_polls = 0
        while handled < max_messages:
            n = process_batch(self.backend, self.dags, self.queue, wait_seconds=0, max_messages=10)
            handled += n
            if n:
                idle_polls = 0
                continue
            if not self._pending():
                return handled
            # Messages exist but none is visible yet: long-poll (SQS answers as soon as one becomes visible).
            idle_polls += 1
            if idle_polls > 10:
                raise AssertionError("queue still has delayed/in-flight messages after 10 one-second polls")
            n = process_batch(self.backend, self.dags, self.queue, wait_seconds=1, max_messages=10)
            handled += n
            if n:
                idle_polls = 0
        return handled

    def _pending(self) -> bool:
        attrs = self.queue.client.get_queue_attributes(
            QueueUrl=self.queue.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed",
                            "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return any(int(v) for v in attrs.values())

    def tick(self, now: datetime | None = None):
        from chalicelib.services.scheduler import tick

        return tick(self.backend, now or utcnow())

    def states(self, dag_id: str, run_id: str) -> dict[str, tuple[str, int]]:
        return {instance_name(i): (i.state, int(i.try_number)) for i in self.backend.runs.instances(dag_id, run_id)}
