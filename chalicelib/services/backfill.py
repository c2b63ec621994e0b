"""Backfill: the scheduled runs a DAG's schedule makes between two dates, created at once (Airflow 3's
`airflow backfill create`), each enqueueing its first tasks like a triggered run."""

from __future__ import annotations

from datetime import datetime

from chalicelib.core.schedule import RunInfo, Schedule, runs_between
from chalicelib.core.spec import DagSpec
from chalicelib.services.backend import Backend
from chalicelib.services.plan_executor import advance_run
from chalicelib.store.errors import BadRequestError, ConflictError
from chalicelib.store.runs import StoredRun

MAX_BACKFILL_RUNS = 1000


def backfill_plan(spec: DagSpec, *, start: datetime, end: datetime) -> list[RunInfo]:
    """The runs the schedule makes with logical dates from `start` to `end` (both included), oldest first."""
    if end < start:
        raise BadRequestError(f"--end-date {end.isoformat()} is before --start-date {start.isoformat()}")
    schedule = Schedule.from_dict(spec.schedule)
    runs = runs_between(schedule, start_date=start, end_date=end, catchup=True, last_logical_date=None,
                        now=datetime.max.replace(tzinfo=start.tzinfo), limit=MAX_BACKFILL_RUNS + 1)
    runs = [r for r in runs if start <= r.logical_date <= end]
    if len(runs) > MAX_BACKFILL_RUNS:
        raise BadRequestError(f"a backfill creates at most {MAX_BACKFILL_RUNS} runs; narrow the dates")
    return runs


def create_backfill(backend: Backend, dag_id: str, *, start: datetime, end: datetime, now: datetime
                    ) -> tuple[list[StoredRun], list[str]]:
    """Create the runs (run_type "backfill"); a logical date that already has a run is left as it is."""
    stored = backend.dags.get(dag_id)
    created: list[StoredRun] = []
    existing: list[str] = []
    for info in backfill_plan(stored.spec, start=start, end=end):
        run_id = f"backfill__{info.logical_date.isoformat()}"
        try:
            run = backend.runs.create(stored.spec, run_id=run_id, run_type="backfill", logical_date=info.logical_date,
                                      run_after=info.run_after, interval=(info.data_interval_start, info.data_interval_end),
                                      conf={}, note=None, now=now, spec_hash=stored.spec_hash,
                                      bundle_version=stored.bundle_version)
        except ConflictError:
            existing.append(run_id)
            continue
        advance_run(backend, stored.spec, run, now)
        backend.runs.mark_roots_enqueued(dag_id, run.run_id)
        created.append(run)
    return created, existing
