"""The scheduler tick (EventBridge every minute on AWS, `levante scheduler` locally).

It works from serialized DAGs in the store only and never imports user code: the DAG processor
(`services/dag_processor.py`) parses DAG files, workers run tasks and DAG callbacks.

Each step reads only active work through sparse indexes — due DAGs, active runs, and task instances in
queued/running/retry states — so a tick costs the same with ten runs of history or ten million.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from chalicelib.core.bounds import sample, truncate
from chalicelib.core.retries import after_failure
from chalicelib.core.schedule import Schedule, runs_between
from chalicelib.core.spec import DagSpec
from chalicelib.core.states import RunState, TaskState
from chalicelib.services.asset_runs import create_asset_triggered_runs
from chalicelib.services.backend import Backend
from chalicelib.services.plan_executor import advance_run
from chalicelib.store.dags import StoredDag
from chalicelib.store.errors import ConflictError, NotFoundError
from chalicelib.store.runs import StoredRun, identity_of
from chalicelib.taskqueue import DagCallbackMessage, TaskMessage

log = logging.getLogger("levante.scheduler")


@dataclass
class TickReport:
    runs_created: list[str] = field(default_factory=list)
    runs_started: list[str] = field(default_factory=list)  # queued runs started (a slot freed, DAG unpaused)
    reaped: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)
    runs_finished: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # DAGs, runs or steps skipped this tick, and why
    duration_s: float = 0.0

    def heartbeat(self, now: datetime) -> dict:
        """What the heartbeat item keeps: counts, not lists (a tick that touched 5,000 runs stays small)."""
        counts = {k: len(v) if isinstance(v, list) else v for k, v in asdict(self).items()}
        return {"at": now.isoformat(), **counts, "error_sample": [truncate(e, 300) for e in sample(self.errors)]}


# Errors in what a DAG or run *holds* (an unreadable date, a spec that no longer parses): retrying will
# not help, so the DAG is recorded as an import error and the run is failed with the reason. Any other
# exception (throttling, a network error) only skips that DAG or run until the next tick.
_BAD_DATA = (ValueError, KeyError, TypeError, AttributeError, NotFoundError)


def tick(backend: Backend, now: datetime) -> TickReport:
    """One tick; each step, and each DAG or run inside a step, fails alone. The heartbeat is always written."""
    started = time.perf_counter()
    report = TickReport()
    specs = _Specs(backend)
    try:
        _step(report, "create due runs", lambda: _create_due_runs(backend, specs, now, report))
        _step(report, "create asset-triggered runs",
              lambda: report.runs_created.extend(create_asset_triggered_runs(backend, specs.stored, now)))
        in_flight: list = []  # the active runs' queued and running tries, read once for both steps below
        _step(report, "read tries in flight", lambda: in_flight.extend(backend.runs.in_flight()))
        _step(report, "reap zombies", lambda: _reap_zombies(backend, specs, now, report, in_flight))
        _step(report, "re-send stuck tasks", lambda: _resend_stuck(backend, now, report, in_flight))
        _step(report, "start queued runs", lambda: _start_queued_runs(backend, specs, now, report))
        _step(report, "advance active runs", lambda: _advance_active_runs(backend, specs, now, report))
    finally:
        report.duration_s = time.perf_counter() - started
        backend.dags.put_meta("scheduler", "heartbeat", report.heartbeat(now), now)
    return report


def _step(report: TickReport, name: str, step) -> None:
    try:
        step()
    except Exception as exc:  # noqa: BLE001 - one failed step must not stop the others or the heartbeat
        log.exception("scheduler step %r failed", name)
        report.errors.append(f"{name}: {type(exc).__name__}: {exc}")


class _Specs:
    """The specs this tick needs, each read once: a DAG's current version, or the version a run began with."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.current: dict[str, StoredDag | None] = {}

    def stored(self, dag_id: str) -> StoredDag | None:
        if dag_id not in self.current:
            try:
                self.current[dag_id] = self.backend.dags.get(dag_id)
            except NotFoundError:
                self.current[dag_id] = None
        return self.current[dag_id]

    def latest(self, dag_id: str) -> DagSpec | None:
        stored = self.stored(dag_id)
        return stored.spec if stored else None

    def for_run(self, run: StoredRun) -> DagSpec | None:
        stored = self.stored(run.dag_id)
        if run.spec_hash and (stored is None or stored.spec_hash != run.spec_hash):
            return self.backend.dags.spec_version(run.dag_id, run.spec_hash)  # the DAG changed since it began
        return stored.spec if stored else None


def _create_due_runs(backend: Backend, specs: _Specs, now: datetime, report: TickReport) -> None:
    for dag_id in backend.dags.due(now):
        try:
            _create_runs_of(backend, dag_id, specs, now, report)
        except _BAD_DATA as exc:
            _unschedulable(backend, dag_id, exc, now, report)
        except Exception as exc:  # noqa: BLE001 - skipped until the next tick; the other DAGs go on
            log.exception("could not schedule DAG %s", dag_id)
            report.errors.append(f"DAG {dag_id}: {type(exc).__name__}: {exc}")


def _create_runs_of(backend: Backend, dag_id: str, specs: _Specs, now: datetime, report: TickReport) -> None:
    stored = specs.stored(dag_id)
    if stored is None or stored.is_paused or not stored.is_active:
        return
    spec = stored.spec
    room = spec.max_active_runs - backend.runs.active_count(dag_id)
    if room <= 0:
        return
    infos = runs_between(Schedule.from_dict(spec.schedule), start_date=spec.start_date, end_date=spec.end_date,
                         catchup=spec.catchup, last_logical_date=stored.last_automated_logical_date,
                         now=now, limit=room)
    for info in infos:
        run_id = f"scheduled__{info.logical_date.isoformat()}"
        try:
            run = backend.runs.create(spec, run_id=run_id, run_type="scheduled", logical_date=info.logical_date,
                                      run_after=info.run_after, interval=(info.data_interval_start, info.data_interval_end),
                                      conf={}, note=None, now=now, spec_hash=stored.spec_hash,
                                      bundle_version=stored.bundle_version)
        except ConflictError:
            log.info("run %s of %s already exists (another tick created it)", run_id, dag_id)
        else:
            report.runs_created.append(f"{dag_id}/{run_id}")
            advance_run(backend, spec, run, now)
            backend.runs.mark_roots_enqueued(dag_id, run_id)
        backend.dags.advance(dag_id, logical_date=info.logical_date, spec=spec, now=now)


def _unschedulable(backend: Backend, dag_id: str, exc: Exception, now: datetime, report: TickReport) -> None:
    """A stored DAG the tick cannot read: an import error for its file (shown to users), then skipped."""
    log.exception("DAG %s cannot be scheduled", dag_id)
    reason = f"{type(exc).__name__}: {exc}"
    report.errors.append(f"DAG {dag_id}: {reason}")
    filename = backend.dags.relpath_or_none(dag_id) or f"<DAG {dag_id}>"
    backend.dags.record_import_error({"filename": filename, "lineno": None, "traceback": "",
                                      "message": f"the scheduler cannot schedule DAG {dag_id!r}: {reason}"}, now)


def _reap_zombies(backend: Backend, specs: _Specs, now: datetime, report: TickReport, in_flight: list) -> None:
    stale_before = now - timedelta(seconds=backend.settings.heartbeat_timeout)
    for item in backend.runs.by_active_state(TaskState.RUNNING, stale_before, in_flight):
        try:
            _reap(backend, specs, item, now, report)
        except Exception as exc:  # noqa: BLE001 - the other zombies are still reaped
            log.exception("could not reap %s/%s/%s", item.dag_id, item.run_id, item.ti_key)
            report.errors.append(f"reap {item.dag_id}/{item.run_id}/{item.ti_key}: {type(exc).__name__}: {exc}")


def _reap(backend: Backend, specs: _Specs, item, now: datetime, report: TickReport) -> None:
    spec = specs.latest(item.dag_id)
    task_id, _ = identity_of(item)
    if spec is None or task_id not in spec.task_index():
        verdict_state, next_retry_at = TaskState.FAILED, None
    else:
        verdict = after_failure(spec.task(task_id).retry, try_number=int(item.try_number),
                                max_tries=int(item.max_tries), failed_at=now,
                                seed=f"{item.dag_id}#{task_id}#{item.run_id}")
        verdict_state, next_retry_at = verdict.state, verdict.next_retry_at
    reason = f"zombie: no heartbeat since {item.heartbeat_at or item.start_date or 'the claim'}"
    if backend.runs.reap(item, state=verdict_state, next_retry_at=next_retry_at, now=now, reason=reason):
        report.reaped.append(f"{item.dag_id}/{item.run_id}/{item.ti_key}")
        log.warning("reaped %s/%s/%s -> %s", item.dag_id, item.run_id, item.ti_key, verdict_state.value)


def _resend_stuck(backend: Backend, now: datetime, report: TickReport, in_flight: list) -> None:
    stuck_before = now - timedelta(seconds=backend.settings.queued_timeout)
    for item in backend.runs.by_active_state(TaskState.QUEUED, stuck_before, in_flight):
        attempts = int(item.enqueue_attempts or 0) + 1
        if attempts > backend.settings.max_enqueue_attempts:
            backend.runs.fail_queued(item, now, f"never picked up by a worker after {attempts - 1} re-sends")
            continue
        task_id, map_index = identity_of(item)
        if backend.runs.requeue(item.dag_id, item.run_id, task_id, int(item.try_number), now, attempts, map_index):
            backend.queue.send([(TaskMessage(item.dag_id, item.run_id, task_id, int(item.try_number), map_index), 0)])
            report.resent.append(f"{item.dag_id}/{item.run_id}/{item.ti_key}")
    # A retry waiting on a delayed message (up_for_retry until claimed) whose message never came.
    for waiting in (TaskState.UP_FOR_RETRY, TaskState.UP_FOR_RESCHEDULE):
        for item in backend.runs.by_active_state(waiting, stuck_before):
            if item.delayed_try is None or not backend.runs.redeliver_delayed(item, now):
                continue
            task_id, map_index = identity_of(item)
            backend.queue.send([(TaskMessage(item.dag_id, item.run_id, task_id, int(item.delayed_try), map_index), 0)])
            report.resent.append(f"{item.dag_id}/{item.run_id}/{item.ti_key}")


def _advance_active_runs(backend: Backend, specs: _Specs, now: datetime, report: TickReport) -> None:
    """Finish runs, enqueue due retries and anything a crashed worker or trigger left behind."""
    for dag_id, run_id in backend.runs.active():
        try:
            _advance(backend, specs, dag_id, run_id, now, report)
        except _BAD_DATA as exc:
            reason = f"the scheduler cannot read this run: {type(exc).__name__}: {exc}"
            log.exception("failing run %s/%s", dag_id, run_id)
            report.errors.append(f"run {dag_id}/{run_id}: {reason}")
            if backend.runs.fail_unreadable(dag_id, run_id, reason, now):
                report.runs_finished.append(f"{dag_id}/{run_id}:failed")
        except Exception as exc:  # noqa: BLE001 - skipped until the next tick; the other runs go on
            log.exception("could not advance run %s/%s", dag_id, run_id)
            report.errors.append(f"run {dag_id}/{run_id}: {type(exc).__name__}: {exc}")


def _advance(backend: Backend, specs: _Specs, dag_id: str, run_id: str, now: datetime, report: TickReport) -> None:
    run = backend.runs.get(dag_id, run_id)
    spec = specs.for_run(run)
    if spec is None or run.state is RunState.QUEUED or _being_created(run, now):
        return
    stored = specs.stored(dag_id)
    state = advance_run(backend, spec, run, now, callbacks=_CallbacksViaWorker(backend),
                        paused=bool(stored and stored.is_paused), recount=True,
                        fresh_grace=timedelta(seconds=backend.settings.queued_timeout))
    if state is not None:
        report.runs_finished.append(f"{dag_id}/{run_id}:{state.value}")


def _start_queued_runs(backend: Backend, specs: _Specs, now: datetime, report: TickReport) -> None:
    """Start queued runs, oldest first, while their DAG is unpaused and has max_active_runs slots (Airflow's
    `_start_queued_dagruns`)."""
    running: Counter[str] = Counter()
    queued: dict[str, list[tuple[str, str]]] = {}
    for dag_id, run_id, state, date_key in backend.runs.active_states():
        if state is RunState.RUNNING:
            running[dag_id] += 1
        else:
            queued.setdefault(dag_id, []).append((date_key, run_id))
    for dag_id, waiting in queued.items():
        stored = specs.stored(dag_id)
        if stored is None or stored.is_paused or not stored.is_active:
            continue
        room = stored.spec.max_active_runs - running[dag_id]
        for _, run_id in sorted(waiting)[:max(room, 0)]:
            if not backend.runs.start(dag_id, run_id, now):
                continue
            run = backend.runs.get(dag_id, run_id)
            spec = specs.for_run(run)
            if spec is not None:
                advance_run(backend, spec, run, now, paused=False)
            backend.runs.mark_roots_enqueued(dag_id, run_id)
            report.runs_started.append(f"{dag_id}/{run_id}")


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


class _CallbacksViaWorker:
    """A DAG's callbacks when the tick ends a run: sent to a worker, because the tick never imports user code."""

    def __init__(self, backend: Backend):
        self.backend = backend

    def __call__(self, run: StoredRun, state: RunState, reason: str) -> None:
        self.backend.queue.send([(DagCallbackMessage(run.dag_id, run.run_id, state.value, reason), 0)])
