"""The worker: one SQS message = one task try. Claim, run, record, then advance the run at once.

The handler raises only when it could not record what happened (so SQS redelivers, and a message that
keeps failing lands in the DLQ); a task's own failure is recorded state, not an error.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from chalicelib.core.states import RunState, TaskState
from chalicelib.runner.callbacks import run_dag_callbacks
from chalicelib.runner.taskrun import TryResult, run_try
from chalicelib.sdk.connection import using_connection_store
from chalicelib.sdk.context import DagRunInfo
from chalicelib.sdk.dagruns import using_dag_runs
from chalicelib.sdk.masker import redact
from chalicelib.sdk.variable import using_variable_store
from chalicelib.services.advance import advance_run
from chalicelib.services.backend import Backend
from chalicelib.services.dag_runs_gateway import StoreDagRuns
from chalicelib.services.dagcache import DagCache
from chalicelib.services.variables import TaskVariableStore
from chalicelib.store.blobs import log_key
from chalicelib.store.errors import NotFoundError
from chalicelib.store.runs import StoredRun
from chalicelib.store.stats import BufferedStats, StatsRepository
from chalicelib.store.timefmt import parse_iso
from chalicelib.store.xcoms import DynamoXComStore
from chalicelib.taskqueue import MAX_SQS_DELAY, TaskMessage

log = logging.getLogger("levante.worker")


class PoisonMessage(ValueError):
    """A message that can never be processed; raising lets SQS move it to the DLQ after maxReceiveCount."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def handle_message(backend: Backend, dags: DagCache, body: str, *, request_id: str | None = None,
                   now: Callable[[], datetime] = utcnow) -> str:
    """Process one task message; returns what happened (for logs and tests)."""
    try:
        msg = TaskMessage.from_json(body)
    except (ValueError, KeyError, TypeError) as exc:
        raise PoisonMessage(f"unreadable task message {body[:200]!r}: {exc}") from None
    token = uuid.uuid4().hex
    ti_item = backend.runs.claim(msg.dag_id, msg.run_id, msg.task_id, msg.try_number, token, now(),
                                 socket.gethostname(), request_id)
    if ti_item is None:
        log.info("skipping %s: already claimed, finished or superseded (duplicate or stale message)", msg)
        return "duplicate"
    try:
        run = _run_info(backend, msg.dag_id, msg.run_id)
        loaded = dags.get(msg.dag_id, _relpath(backend, dags, msg.dag_id))
    except NotFoundError as exc:
        _record_crash(backend, msg, token, now(), str(exc))
        return "failed"
    if loaded is None or not loaded.dag.has_task(msg.task_id):
        _record_crash(backend, msg, token, now(), f"task {msg.task_id!r} not found in DAG {msg.dag_id!r}")
        return "failed"
    xcoms = DynamoXComStore(backend.models, backend.blobs, msg.dag_id, msg.run_id, backend.settings.xcom_inline_limit)
    info = DagRunInfo(run.dag_id, run.run_id, run.logical_date, run.data_interval_start, run.data_interval_end,
                      run.run_type, run.conf, run.start_date, run.run_after)
    first_start = parse_iso(ti_item.first_start)
    with (_Heartbeat(backend, msg, token), using_variable_store(TaskVariableStore(backend.models, backend.secrets)),
          using_dag_runs(StoreDagRuns(backend, now)),
          using_connection_store(backend.secrets)):
        result = run_try(loaded.dag.get_task(msg.task_id), run=info, try_number=msg.try_number, xcoms=xcoms,
                         max_tries=int(ti_item.max_tries), first_try_start=first_start, now=now)
    # The log lands before the state does: whoever sees the try finished can read its log.
    backend.blobs.put_log(log_key(msg.dag_id, msg.run_id, msg.task_id, msg.try_number), result.log)
    # A branch's skips land before its success does: once the success is visible, a concurrent tick
    # or worker would find the skipped tasks' trigger rules met and queue them.
    _apply_skips(backend, msg, result, now(), parse_iso(ti_item.queued_at))
    if result.state is TaskState.UP_FOR_RESCHEDULE and first_start is None:
        backend.runs.set_first_start(msg.dag_id, msg.run_id, msg.task_id, result.start_date)
    inline, ref = xcoms.take_return_value(msg.task_id)  # written with the final state below
    xcoms.flush()
    if not backend.runs.finish_try(msg.dag_id, msg.run_id, msg.task_id, token=token, state=result.state,
                                   start=result.start_date, end=result.end_date, next_retry_at=result.next_retry_at,
                                   error=redact(result.error), xcom_return=inline, xcom_return_ref=ref):
        log.warning("%s: lost ownership while running (reaped as a zombie); outcome %s dropped", msg, result.state.value)
        return "lost"
    _stats(backend).record(result.state.value, result.end_date, time.monotonic())
    log.info("%s.%s [%s] try %d: %s in %.2fs", msg.dag_id, msg.task_id, msg.run_id, msg.try_number,
             result.state.value, result.duration)
    finished = _after_try(backend, loaded.spec, run, msg, result, now())
    if finished is not None:
        run_dag_callbacks(loaded.dag, info, finished, "", xcoms)
    return result.state.value


def _apply_skips(backend: Backend, msg: TaskMessage, result: TryResult, now: datetime,
                 queued_at: datetime | None) -> None:
    for task_id in sorted(result.skip_task_ids):
        backend.runs.settle(msg.dag_id, msg.run_id, task_id, TaskState.SKIPPED, now, "skipped by branch",
                            queued_after=queued_at)


# What never changes about a run or a DAG's file is read once per warm container (saves two reads a task).
_RUNS: dict[tuple[str, str, str], StoredRun] = {}


def _run_info(backend: Backend, dag_id: str, run_id: str) -> StoredRun:
    key = (backend.settings.base, dag_id, run_id)
    if key not in _RUNS:
        if len(_RUNS) > 1000:
            _RUNS.clear()
        _RUNS[key] = backend.runs.get(dag_id, run_id)
    return _RUNS[key]


_STATS: dict[str, BufferedStats] = {}


def _stats(backend: Backend) -> BufferedStats:
    base = backend.settings.base
    if base not in _STATS:
        _STATS[base] = BufferedStats(lambda: StatsRepository(backend.models))
    return _STATS[base]


def _relpath(backend: Backend, dags: DagCache, dag_id: str) -> str:
    known = dags.relpath_of(dag_id)
    return known if known is not None else backend.dags.get(dag_id).relpath


def _after_try(backend: Backend, spec, run, msg: TaskMessage, result: TryResult, now: datetime) -> RunState | None:
    if result.state in (TaskState.UP_FOR_RETRY, TaskState.UP_FOR_RESCHEDULE) and result.next_retry_at:
        delay = (result.next_retry_at - now).total_seconds()
        if delay <= MAX_SQS_DELAY:  # short waits ride on SQS DelaySeconds; longer ones wait for the tick
            _enqueue_later(backend, msg, result, now, delay)
        return None
    if len(spec.tasks) > spec.max_active_tasks:
        # This try freed a slot, and tasks beyond the direct downstream may be ready and waiting for one
        # (a fan-out wider than max_active_tasks): plan the whole run rather than leave them to the tick.
        return advance_run(backend, spec, run, now)
    candidates = set(spec.task(msg.task_id).downstream) | set(result.skip_task_ids)
    return advance_run(backend, spec, run, now, candidates=sorted(candidates))


def _enqueue_later(backend: Backend, msg: TaskMessage, result: TryResult, now: datetime, delay: float) -> None:
    next_try = msg.try_number + (1 if result.state is TaskState.UP_FOR_RETRY else 0)
    due = now + timedelta(seconds=max(delay, 0))
    if backend.runs.enqueue(msg.dag_id, msg.run_id, msg.task_id, next_try, due, expected_try=msg.try_number):
        backend.queue.send([(TaskMessage(msg.dag_id, msg.run_id, msg.task_id, next_try), int(max(delay, 0) + 0.999))])


def _record_crash(backend: Backend, msg: TaskMessage, token: str, now: datetime, error: str) -> None:
    log.error("%s: %s", msg, error)
    if backend.runs.finish_try(msg.dag_id, msg.run_id, msg.task_id, token=token, state=TaskState.FAILED, start=now,
                               end=now, next_retry_at=None, error=error, xcom_return=None, xcom_return_ref=None):
        _stats(backend).record(TaskState.FAILED.value, now, time.monotonic())


class _Heartbeat:
    """Refreshes the claim while the task runs, so the tick never takes a live task for a zombie."""

    def __init__(self, backend: Backend, msg: TaskMessage, token: str):
        self.backend, self.msg, self.token = backend, msg, token
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"heartbeat-{msg.task_id}")

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        interval = self.backend.settings.heartbeat_interval
        while not self.stop.wait(interval):
            try:
                alive = self.backend.runs.heartbeat(self.msg.dag_id, self.msg.run_id, self.msg.task_id, self.token, utcnow())
            except Exception:  # noqa: BLE001 - a missed beat is retried at the next interval
                log.exception("heartbeat failed for %s", self.msg)
                continue
            if not alive:
                log.warning("%s was reaped while running; its result will be discarded", self.msg)
                return
