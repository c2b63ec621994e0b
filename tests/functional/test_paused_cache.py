"""A worker's paused flag is at most Settings.paused_cache_seconds old (store/dags.py is_paused): a warm worker
reads it from DynamoDB once a second per DAG, not once per finished try, and a pause made elsewhere reaches it
within that second. A pause made by the same process is seen at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.core.spec import DagSpec
from chalicelib.store.dags import DagRepository

T0 = datetime(2024, 6, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _spec(dag_id: str) -> DagSpec:
    return DagSpec.from_dict({"dag_id": dag_id, "fileloc": f"{dag_id}.py", "tasks": [],
                              "schedule": {"kind": "none", "cron": None, "delta_seconds": None, "timezone": "UTC"},
                              "start_date": "2024-01-01T00:00:00+00:00", "tags": [], "description": None,
                              "owner": "test"})


@pytest.fixture
def repos(backend):
    """Two processes' views of one table: `api` pauses, `worker` (1 s cache, a clock we move) asks."""
    backend.dags.upsert(_spec("d"), relpath="d.py", source="", source_hash="h", now=T0, paused_on_create=False)
    clock = Clock()
    worker = DagRepository(backend.models, backend.blobs, paused_ttl=1.0, clock=clock)
    return DagRepository(backend.models, backend.blobs), worker, clock


def test_a_pause_made_elsewhere_reaches_a_worker_within_the_cache_time(repos):
    api, worker, clock = repos
    assert worker.is_paused("d") is False
    api.set_paused("d", True, T0)
    clock.now += 0.5
    assert worker.is_paused("d") is False  # still the flag it read half a second ago
    clock.now += 0.5
    assert worker.is_paused("d") is True  # a second old: read again


def test_a_cached_flag_costs_no_request(repos, monkeypatch):
    _, worker, clock = repos
    reads: list[str] = []
    get = worker.m.Dag.get
    monkeypatch.setattr(worker.m.Dag, "get", lambda *a, **k: reads.append(a[0]) or get(*a, **k))
    for _ in range(5):
        worker.is_paused("d")
        clock.now += 0.1
    assert reads == ["d"]


def test_this_process_sees_its_own_pause_at_once(repos):
    _, worker, clock = repos
    assert worker.is_paused("d") is False
    worker.set_paused("d", True, T0)
    assert worker.is_paused("d") is True
    worker.set_paused("d", False, T0)
    assert worker.is_paused("d") is False


def test_without_a_cache_time_every_question_reads_the_table(backend):
    backend.dags.upsert(_spec("d"), relpath="d.py", source="", source_hash="h", now=T0, paused_on_create=False)
    api = DagRepository(backend.models, backend.blobs)
    uncached = DagRepository(backend.models, backend.blobs, paused_ttl=0.0, clock=Clock())
    assert uncached.is_paused("d") is False
    api.set_paused("d", True, T0)
    assert uncached.is_paused("d") is True
