"""The scheduler tick (EventBridge every minute on AWS, `levante scheduler` locally).

Each step reads only active work through sparse indexes — due DAGs, active runs, and task instances in
queued/running/retry states — so a tick costs the same with ten runs of history or ten million.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from chalicelib.core.retries import after_failure
from chalicelib.core.schedule import Schedule, runs_between
from chalicelib.core.spec import DagSpec
from chalicelib.core.states import RunState, TaskState
from chalicelib.runner.callbacks import run_dag_callbacks
from chalicelib.sdk.context import DagRunInfo
from chalicelib.services.advance import advance_run
from chalicelib.services.backend import Backend
from chalicelib.services.dagcache import DagCache
from chalicelib.services.sync import sync_dags
from chalicelib.store.errors import ConflictError, NotFoundError
from chalicelib.store.runs import StoredRun
from chalicelib.store.xcoms import DynamoXComStore
from chalicelib.taskqueue import TaskMessage

log = logging.getLogger("levante.scheduler")


@dataclass
class TickReport:
    synced: int = 0
    runs_created: list[str] = field(default_factory=list)
    reaped: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)
    runs_finished: list[str] = field(default_factory=list)
    duration_s: float = 0.0


def tick(backend: Backend, dags_folder: str | None, now: datetime) -> TickReport:
    started = time.perf_counter()
    report = TickReport()
    specs: dict[str, DagSpec] = {}
    if dags_folder is not None:
        synced = sync_dags(backend, dags_folder, now)
        report.synced = synced.written
        specs = synced.specs
    _create_due_runs(backend, specs, now, report)
    _reap_zombies(backend, specs, now, report)
    _resend_stuck(backend, now, report)
    _advance_active_runs(backend, specs, now, report, dags_folder)
    report.duration_s = time.perf_counter() - started
    backend.dags.put_meta("scheduler", "heartbeat", {"at": now.isoformat(), **asdict(report)}, now)
    return report


def _spec(backend: Backend, specs: dict[str, DagSpec], dag_id: str) -> DagSpec | None:
    if dag_id not in specs:
        try:
            specs[dag_id] = backend.dags.get(dag_id).spec
        except NotFoundError:
            return None
    return specs[dag_id]


def _create_due_runs(backend: Backend, specs: dict[str, DagSpec], now: datetime, report: TickReport) -> None:
    for dag_id in backend.dags.due(now):
        stored = backend.dags.get(dag_id)
        if stored.is_paused or not stored.is_active:
            continue
        spec = stored.spec
        room = spec.max_active_runs - backend.runs.active_count(dag_id)
        if room <= 0:
            continue
        infos = runs_between(Schedule.from_dict(spec.schedule), start_date=spec.start_date, end_date=spec.end_date,
                             catchup=spec.catchup, last_logical_date=stored.last_automated_logical_date,
                             now=now, limit=room)
        for info in infos:
            run_id = f"scheduled__{info.logical_date.isoformat()}"
            try:
                run = backend.runs.create(spec, run_id=run_id, run_type="scheduled", logical_date=info.logical_date,
                                          run_after=info.run_after, interval=(info.data_interval_start, info.data_interval_end),
                                          conf={}, note=None, now=now)
            except ConflictError:
                log.info("run %s of %s already exists (another tick created it)", run_id, dag_id)
            else:
                report.runs_created.append(f"{dag_id}/{run_id}")
                advance_run(backend, spec, run, now)
                backend.runs.mark_roots_enqueued(dag_id, run_id)
            backend.dags.advance(dag_id, logical_date=info.logical_date, spec=spec, now=now)


def _reap_zombies(backend: Backend, specs: dict[str, DagSpec], now: datetime, report: TickReport) -> None:
    stale_before = now - timedelta(seconds=backend.settings.heartbeat_timeout)
    for item in backend.runs.by_active_state("running", stale_before):
        spec = _spec(backend, specs, item.dag_id)
        if spec is None or item.task_id not in spec.task_index():
            verdict_state, next_retry_at = TaskState.FAILED, None
        else:
            verdict = after_failure(spec.task(item.task_id).retry, try_number=int(item.try_number),
                                    max_tries=int(item.max_tries), failed_at=now,
                                    seed=f"{item.dag_id}#{item.task_id}#{item.run_id}")
            verdict_state, next_retry_at = verdict.state, verdict.next_retry_at
        reason = f"zombie: no heartbeat since {item.heartbeat_at or item.start_date or 'the claim'}"
        if backend.runs.reap(item, state=verdict_state, next_retry_at=next_retry_at, now=now, reason=reason):
            report.reaped.append(f"{item.dag_id}/{item.run_id}/{item.task_id}")
            log.warning("reaped %s/%s/%s -> %s", item.dag_id, item.run_id, item.task_id, verdict_state.value)


def _resend_stuck(backend: Backend, now: datetime, report: TickReport) -> None:
    stuck_before = now - timedelta(seconds=backend.settings.queued_timeout)
    for item in backend.runs.by_active_state("queued", stuck_before):
        attempts = int(item.enqueue_attempts or 0) + 1
        if attempts > backend.settings.max_enqueue_attempts:
            backend.runs.fail_queued(item, now, f"never picked up by a worker after {attempts - 1} re-sends")
            continue
        if backend.runs.requeue(item.dag_id, item.run_id, item.task_id, int(item.try_number), now, attempts):
            backend.queue.send([(TaskMessage(item.dag_id, item.run_id, item.task_id, int(item.try_number)), 0)])
            report.resent.append(f"{item.dag_id}/{item.run_id}/{item.task_id}")


def _advance_active_runs(backend: Backend, specs: dict[str, DagSpec], now: datetime, report: TickReport,
                         dags_folder: str | None) -> None:
    """Finish runs, enqueue due retries and anything a crashed worker or trigger left behind."""
    for dag_id, run_id in backend.runs.active():
        spec = _spec(backend, specs, dag_id)
        if spec is None:
            continue
        run = backend.runs.get(dag_id, run_id)
        if _being_created(run, now):
            continue
        state = advance_run(backend, spec, run, now)
        if state is not None:
            report.runs_finished.append(f"{dag_id}/{run_id}:{state.value}")
            if dags_folder is not None and spec.has_callbacks:
                _dag_callbacks(backend, dags_folder, run, state)


# A run is visible in the active index before its task instances are written (one PutItem, then batch
# writes) and before its roots are enqueued. Advancing it then would enqueue into missing rows, and the
# creator's batch write would reset them behind the worker's back:
#
#   creator: put run ........................ batch-write TIs (state none) -> enqueue roots -> mark
#   tick:         advance: TIs missing -> enqueue root -> worker runs it -> ... run "finished"
#
# So the tick leaves a run alone until its creator marks the roots enqueued, or until the creator has
# clearly died (the crash-recovery path), whichever comes first.
CREATION_GRACE = timedelta(seconds=30)


def _being_created(run: StoredRun, now: datetime) -> bool:
    return not run.roots_enqueued and run.start_date is not None and now - run.start_date < CREATION_GRACE


def _dag_callbacks(backend: Backend, dags_folder: str, run: StoredRun, state: RunState) -> None:
    loaded = DagCache(dags_folder).get(run.dag_id)
    if loaded is None:
        return
    xcoms = DynamoXComStore(backend.models, backend.blobs, run.dag_id, run.run_id, backend.settings.xcom_inline_limit)
    info = DagRunInfo(run.dag_id, run.run_id, run.logical_date, run.data_interval_start, run.data_interval_end,
                      run.run_type, run.conf, run.start_date, run.run_after)
    run_dag_callbacks(loaded.dag, info, state, "timed out" if state is RunState.FAILED else "", xcoms)
