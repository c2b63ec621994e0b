"""The worker: one SQS message = one task try. Claim, run it in a supervised child, then plan and apply.

    claim (conditional) -> read the run fresh -> child process runs the try (the parent heartbeats and
    enforces the timeout) -> write the log -> plan_after_try (pure) -> apply: XComs, skips, final state,
    then the retry message or the run's next step (services/plan_executor.py, which also runs DAG callbacks)
    -> a task that step handed to this worker (services/handoff.py) runs next, the same way from the claim on

The handler raises only when it could not record what happened (so SQS redelivers, and a message that
keeps failing lands in the DLQ); a task's own failure is recorded state, not an error.
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from chalicelib.core.after_try import (
    AdvanceRun,
    EnqueueLater,
    FinishTry,
    SetFirstStart,
    SettleSkips,
    TryEnd,
    WriteXComs,
    plan_after_try,
)
from chalicelib.core.edges import slots_bind
from chalicelib.core.states import RunState, TaskState
from chalicelib.services.backend import Backend
from chalicelib.services.dag_callbacks import DagCallbacks
from chalicelib.services.dagcache import DagCache, LoadedDag
from chalicelib.services.edge_executor import advance_from_edges, hand_on_slot
from chalicelib.services.handoff import Claimed, Handoff
from chalicelib.services.live_log import LiveLog
from chalicelib.services.plan_executor import advance_run
from chalicelib.services.slot_gate import SlotGate
from chalicelib.services.supervised_try import (
    ChildReport,
    TryRequest,
    place_rendered_fields,
    run_info,
    run_supervised,
    store_rendered_fields,
)
from chalicelib.store.assets import AssetRepository
from chalicelib.store.blobs import log_key, rendered_fields_key
from chalicelib.store.errors import NotFoundError
from chalicelib.store.progress import RunProgress
from chalicelib.store.runs import StoredRun
from chalicelib.store.stats import BufferedStats, StatsRepository
from chalicelib.store.timefmt import parse_iso
from chalicelib.store.xcoms import DynamoXComStore
from chalicelib.taskqueue import MAX_SQS_DELAY, DagCallbackMessage, TaskMessage

log = logging.getLogger("levante.worker")


class PoisonMessage(ValueError):
    """A message that can never be processed; raising lets SQS move it to the DLQ after maxReceiveCount."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def handle_message(backend: Backend, dags: DagCache, body: str, *, request_id: str | None = None,
                   now: Callable[[], datetime] = utcnow,
                   should_stop: Callable[[], str | None] = lambda: None, outcomes: list[str] | None = None) -> str:
    """Process one task message; returns what happened to its try (for logs and tests).

    `should_stop` returning a reason (the local worker shutting down) terminates a running try. `outcomes`, if
    given, receives what happened to every try this call ran: the message's, then each hand-off's.
    """
    handed_off: list[str] = []
    outcome = _handle_message(backend, dags, body, request_id, now, should_stop, handed_off)
    if outcomes is not None:
        outcomes += [outcome, *handed_off]
    return outcome


def _handle_message(backend: Backend, dags: DagCache, body: str, request_id: str | None, now: Callable[[], datetime],
                    should_stop: Callable[[], str | None], handoffs: list[str]) -> str:
    callback = DagCallbackMessage.from_json(body)
    if callback is not None:
        return _handle_dag_callback(backend, dags, callback)
    try:
        msg = TaskMessage.from_json(body)
    except (ValueError, KeyError, TypeError) as exc:
        raise PoisonMessage(f"unreadable task message {body[:200]!r}: {exc}") from None
    token = uuid.uuid4().hex
    hostname = socket.gethostname()
    if msg.fresh:  # no queued write before it: the claim decides the try (store/try_writes.claim_fresh)
        ti_item = backend.runs.claim_fresh(msg.dag_id, msg.run_id, msg.task_id, token, now(), hostname, request_id,
                                           str(msg.queued_at))
        if ti_item is not None:
            msg = replace(msg, try_number=int(ti_item.try_number))
    else:
        ti_item = backend.runs.claim(msg.dag_id, msg.run_id, msg.task_id, msg.try_number, token, now(), hostname,
                                     request_id, msg.map_index, queued_at=msg.queued_at)
    if ti_item is None:
        if _resent_early(backend, msg, now()):
            return "early"
        log.info("skipping %s: already claimed, finished or superseded (duplicate or stale message)", msg)
        return "duplicate"
    handoff = Handoff.start(backend.settings, hostname, request_id, should_stop)
    try:
        outcome = _run_claimed(backend, dags, msg, token, ti_item, _carried_run(msg), now, should_stop, handoff)
    except Exception:
        _give_back(backend, handoff.pop(), now())  # the task it claimed never started: it goes through SQS
        raise
    while (claimed := handoff.pop()) is not None:
        log.info("%s handed off to this worker after %s", claimed.msg, msg)
        msg = claimed.msg
        try:
            handoffs.append(_run_claimed(backend, dags, msg, claimed.token, claimed.item, claimed.run, now,
                                         should_stop, handoff))
        except Exception:  # noqa: BLE001 - the message's own try is recorded; this one is the reaper's now
            log.exception("%s: handed-off try failed unrecorded; the scheduler reaps it when its heartbeat stops", msg)
            handoffs.append("unrecorded")
            _give_back(backend, handoff.pop(), now())
            break
    return outcome


def _carried_run(msg: TaskMessage) -> StoredRun | None:
    """The run the message carries (its claim held only while the try was queued from the sender's instant:
    store/try_writes.claim), or None to read it."""
    if msg.run is None:
        return None
    try:
        return StoredRun.from_message(msg.dag_id, msg.run_id, msg.run)
    except (KeyError, TypeError, ValueError):
        log.warning("%s: the run it carries is unreadable; reading the run instead", msg)
        return None


def _give_back(backend: Backend, claimed: Claimed | None, now: datetime) -> None:
    """A hand-off claimed by a try whose recording failed: queue it with its message instead of leaving it
    running with no runner (the reaper would fail it, without retries, though its code never ran)."""
    if claimed is None:
        return
    m = claimed.msg
    try:
        if backend.runs.unclaim(m.dag_id, m.run_id, m.task_id, claimed.token, now, m.map_index):
            backend.queue.send([(m, 0)])  # a lost send leaves it queued: the tick re-sends tasks queued too long
    except Exception:  # noqa: BLE001 - the original error matters more; the reaper still takes the try
        log.exception("%s: could not give the hand-off back to the queue", m)


def _run_claimed(backend: Backend, dags: DagCache, msg: TaskMessage, token: str, ti_item: Any,
                 run: StoredRun | None, now: Callable[[], datetime], should_stop: Callable[[], str | None],
                 handoff: Handoff) -> str:
    """Run a try this worker has claimed, record it and advance its run; `run` as the handing-off try read it
    (a hand-off: services/handoff.py) or as its message carries it, or None to read it here."""
    try:
        # Read fresh, never cached: a run's state, dates and conf change (cleared, deleted and re-created). A
        # handed-off try takes the run its upstream read, and so does a try whose message carries the run:
        # marking or deleting the run changes task states first, which the conditional claim saw
        # (services/edge_executor.py argues the same), and a message's claim holds only for the enqueue that
        # sent it, so never for a re-created run of the same id.
        if run is None:
            run = backend.runs.get(msg.dag_id, msg.run_id)
        # The run's own version: a run started before a DAG change finishes on the code it started with.
        loaded = dags.get(msg.dag_id, _relpath(backend, dags, msg.dag_id), bundle_version=run.bundle_version)
    except NotFoundError as exc:
        return _record_crash(backend, msg, token, now(), str(exc))
    if loaded is None or not loaded.dag.has_task(msg.task_id):
        return _record_crash(backend, msg, token, now(), f"task {msg.task_id!r} not found in DAG {msg.dag_id!r}")
    first_start = parse_iso(ti_item.first_start)
    request = TryRequest(loaded.dag.get_task(msg.task_id), run_info(run), msg.try_number, int(ti_item.max_tries),
                         first_start, msg.map_index)
    started = now()
    key = log_key(msg.dag_id, msg.run_id, msg.task_id, msg.try_number, msg.map_index)
    live = LiveLog(backend.blobs, key, backend.settings.log_flush_seconds)
    report, supervised = run_supervised(backend, request, now=now, heartbeat=_heartbeat(backend, msg, token),
                                        should_stop=should_stop, on_log=live)
    ended = now()
    text = supervised.log + _supervisor_note(supervised, report)
    # The log lands before the state does, or with it: whoever sees the try finished can read its log.
    inline = place_log(backend, msg, ti_item, key, text, published=live.published)
    rendered = place_rendered_fields(backend, request, ti_item, report.rendered_fields if report else None)
    end = _try_end(msg, int(ti_item.max_tries), report, supervised, started, ended, first_start is not None)
    gate = None
    if ti_item.slot and slots_bind(loaded.spec):  # this try holds a slot of its run: handed on after it (below)
        gate = SlotGate(backend, loaded.spec, run, now(), held=1, handoff=handoff)
    return _apply(backend, loaded, run, msg, token, end, report, parse_iso(ti_item.queued_at), now, inline, rendered,
                  handoff, gate)


def _try_end(msg: TaskMessage, max_tries: int, report: ChildReport | None, supervised, started: datetime,
             ended: datetime, first_start_known: bool) -> TryEnd:
    if report is None:
        return TryEnd(msg.run_id, msg.task_id, msg.try_number, max_tries, None, started, ended,
                      error=_death(supervised), first_start_known=first_start_known, map_index=msg.map_index)
    return TryEnd(msg.run_id, msg.task_id, msg.try_number, max_tries, report.state, report.start_date,
                  report.end_date, report.next_retry_at, report.skip_task_ids, report.error, bool(report.xcoms),
                  first_start_known, msg.map_index, report.map_length)


def _handle_dag_callback(backend: Backend, dags: DagCache, msg: DagCallbackMessage) -> str:
    """DAG callbacks of a run the scheduler finished, run here because only workers import user code."""
    try:
        run = backend.runs.get(msg.dag_id, msg.run_id)
        loaded = dags.get(msg.dag_id, _relpath(backend, dags, msg.dag_id), bundle_version=run.bundle_version)
    except NotFoundError as exc:
        log.warning("DAG callback of %s/%s dropped: %s", msg.dag_id, msg.run_id, exc)
        return "dropped"
    if loaded is None:
        return "dropped"
    DagCallbacks(backend, loaded.dag)(run, RunState(msg.state), msg.reason)
    return "callback"


def _death(supervised) -> str:
    if supervised.timed_out:
        return "AirflowTaskTimeout: the task exceeded its execution_timeout and was killed"
    if supervised.stopped:
        return f"AirflowTaskTerminated: {supervised.stopped}"
    return supervised.describe_death()


def _supervisor_note(supervised, report: ChildReport | None) -> str:
    if report is not None and not supervised.killed:
        return ""
    if supervised.killed:
        return f"[supervisor] the task ignored SIGTERM and was killed (SIGKILL); {_death(supervised)}\n"
    return f"[supervisor] {_death(supervised)}\n"


def _apply(backend: Backend, loaded: LoadedDag, run: StoredRun, msg: TaskMessage, token: str, end: TryEnd,
           report: ChildReport | None, queued_at: datetime | None, now: Callable[[], datetime],
           log_inline: str | None = None, rendered_inline: str | None = None, handoff: Handoff | None = None,
           gate: SlotGate | None = None) -> str:
    """The one executor of the post-try plan; a refused XCom write re-plans the try as failed. `gate`: the
    slot this try holds (services/slot_gate.py), handed on to what the try readied, else to a waiting task."""
    outcome = _apply_steps(backend, loaded, run, msg, token, end, report, queued_at, now, log_inline, rendered_inline,
                           handoff, gate)
    if outcome != "lost" and slots_bind(loaded.spec):  # a lost try's slot is the tick's to recount (store/slots.py)
        hand_on_slot(backend, loaded.spec, run, gate, now(), callbacks=DagCallbacks(backend, loaded.dag))
    return outcome


def _apply_steps(backend: Backend, loaded: LoadedDag, run: StoredRun, msg: TaskMessage, token: str, end: TryEnd,
                 report: ChildReport | None, queued_at: datetime | None, now: Callable[[], datetime],
                 log_inline: str | None, rendered_inline: str | None, handoff: Handoff | None,
                 gate: SlotGate | None) -> str:
    xcoms = DynamoXComStore(backend.models, backend.blobs, msg.dag_id, msg.run_id, backend.settings.xcom_inline_limit)
    if report is not None:
        xcoms.pending.update(report.xcoms)
    instructions = plan_after_try(loaded.spec, end, now=now(), max_queue_delay=MAX_SQS_DELAY)
    return_value: tuple[str | None, str | None] = (None, None)
    state = TaskState.FAILED
    while instructions:
        step = instructions.pop(0)
        if isinstance(step, WriteXComs):
            try:
                return_value = xcoms.take_return_value(msg.task_id, msg.map_index)
                xcoms.flush()
            except Exception as exc:  # noqa: BLE001 - the try's real error, recorded as its failure
                log.exception("%s: could not store the XComs the task pushed", msg)
                error = f"XCom could not be stored: {type(exc).__name__}: {exc}"
                instructions = plan_after_try(loaded.spec, end, now=now(), max_queue_delay=MAX_SQS_DELAY,
                                              storage_error=error)
                return_value = (None, None)
        elif isinstance(step, SettleSkips):
            for task_id in step.task_ids:
                if backend.runs.settle(msg.dag_id, msg.run_id, task_id, TaskState.SKIPPED, now(), "skipped by branch",
                                       queued_after=queued_at):
                    RunProgress(backend.models).count_finished(loaded.spec, msg.run_id, run.created_at, task_id, now())
        elif isinstance(step, SetFirstStart):
            backend.runs.set_first_start(msg.dag_id, msg.run_id, msg.task_id, step.when, msg.map_index)
        elif isinstance(step, FinishTry):
            state = step.state
            inline, ref = return_value if step.with_return_value else (None, None)
            if not backend.runs.finish_try(msg.dag_id, msg.run_id, msg.task_id, token=token, state=step.state,
                                           start=end.start_date, end=end.end_date, next_retry_at=step.next_retry_at,
                                           error=step.error, xcom_return=inline, xcom_return_ref=ref,
                                           delayed_try=step.delayed_try, map_index=msg.map_index,
                                           map_length=step.map_length, log_inline=log_inline,
                                           rendered_inline=rendered_inline, slot=gate is not None):
                log.warning("%s: lost ownership while running (reaped, timed out or marked); outcome %s dropped",
                            msg, step.state.value)
                if log_inline is not None:  # the try's log is kept all the same
                    backend.blobs.put_log(log_key(msg.dag_id, msg.run_id, msg.task_id, msg.try_number,
                                                  msg.map_index), log_inline)
                if rendered_inline is not None:  # and so are its rendered fields
                    store_rendered_fields(backend, rendered_fields_key(msg.dag_id, msg.run_id, msg.task_id,
                                                                       msg.try_number, msg.map_index), rendered_inline)
                return "lost"
            _stats(backend).record(step.state.value, end.end_date, time.monotonic())
            if step.state is TaskState.SUCCESS and report is not None and report.asset_events:
                # After the success is recorded: a consumer never starts on a try that was lost.
                AssetRepository(backend.models).record_events(list(report.asset_events), dag_id=msg.dag_id,
                                                              task_id=msg.task_id, run_id=msg.run_id,
                                                              map_index=msg.map_index, now=end.end_date)
            log.info("%s.%s%s [%s] try %d: %s in %.2fs", msg.dag_id, msg.task_id,
                     f"[{msg.map_index}]" if msg.map_index >= 0 else "", msg.run_id, msg.try_number,
                     step.state.value, (end.end_date - end.start_date).total_seconds())
        elif isinstance(step, EnqueueLater):
            _enqueue_later(backend, msg, step)
        elif isinstance(step, AdvanceRun):
            candidates = None if step.candidates is None else list(step.candidates)
            callbacks = DagCallbacks(backend, loaded.dag)
            # Edge planning takes the run as read before the try: it writes only on task states, which marking,
            # timing out or deleting the run changes first, so no fresh read is needed (services/edge_executor.py).
            if candidates is not None and advance_from_edges(backend, loaded.spec, run, msg.task_id, state, now(),
                                                             callbacks=callbacks, skips=bool(end.skip_task_ids),
                                                             handoff=handoff, gate=gate):
                continue
            # So does the whole-run plan, by the same argument (its writes are conditional on task states, and
            # the run's finish on the run's). Only a deleted run needs its own check: `enqueue` may write a task
            # instance that is missing (a mapped instance's first write), and a deleted run has none left.
            snapshot = backend.runs.snapshot(loaded.spec, run)
            if not snapshot.tis:
                log.info("run %s of %s is gone: nothing to plan after %s", msg.run_id, msg.dag_id, msg.task_id)
                continue
            advance_run(backend, loaded.spec, run, now(), candidates=candidates, snapshot=snapshot,
                        callbacks=callbacks, handoff=handoff, gate=gate)
        else:  # pragma: no cover - a new instruction without its executor
            raise TypeError(f"no executor for {step!r}")
    return state.value


def place_log(backend: Backend, msg: TaskMessage, ti_item: Any, key: str, text: str, *, published: bool) -> str | None:
    """Put the finished try's log where readers find it (services/task_views.read_log); the text to keep on
    the task-instance item with its final state, or None when it went to S3 (large, or already published
    while running)."""
    if published or len(text.encode()) > backend.settings.log_inline_bytes:
        backend.blobs.put_log(key, text)
        return None
    earlier, earlier_try = ti_item.log_inline, ti_item.log_try
    if earlier is not None and earlier_try is not None and int(earlier_try) != msg.try_number:
        # An earlier try's inline log (a retry, a cleared task) moves to its own object before this one replaces it.
        backend.blobs.put_log(log_key(msg.dag_id, msg.run_id, msg.task_id, int(earlier_try), msg.map_index), earlier)
    return text


def _heartbeat(backend: Backend, msg: TaskMessage, token: str) -> Callable[[], bool]:
    def beat() -> bool:
        try:
            return backend.runs.heartbeat(msg.dag_id, msg.run_id, msg.task_id, token, utcnow(), msg.map_index)
        except Exception:  # noqa: BLE001 - a missed beat (endpoint outage) is retried at the next interval
            log.exception("heartbeat failed for %s", msg)
            return True
    return beat


_STATS: dict[str, BufferedStats] = {}


def _stats(backend: Backend) -> BufferedStats:
    base = backend.settings.base
    if base not in _STATS:
        _STATS[base] = BufferedStats(lambda: StatsRepository(backend.models))
    return _STATS[base]


def _relpath(backend: Backend, dags: DagCache, dag_id: str) -> str:
    known = dags.relpath_of(dag_id)
    return known if known is not None else backend.dags.get(dag_id).relpath


def _enqueue_later(backend: Backend, msg: TaskMessage, step: EnqueueLater) -> None:
    """The task instance stays up_for_retry (or up_for_reschedule) with its current try until the delayed
    message claims it, as Airflow shows a task waiting for its retry. A lost message is the tick's: it
    enqueues due retries itself."""
    if backend.queue.send([(TaskMessage(msg.dag_id, msg.run_id, msg.task_id, step.try_number, msg.map_index),
                            int(step.delay_seconds + 0.999))]):
        backend.runs.undelay(msg.dag_id, msg.run_id, msg.task_id, step.try_number, msg.map_index)


def _resent_early(backend: Backend, msg: TaskMessage, now: datetime) -> bool:
    """A retry message delivered before its due time (a queue that lost the delay, e.g. a restored local
    state dir) is sent again for the time left, never run early."""
    due = backend.runs.waiting_until(msg.dag_id, msg.run_id, msg.task_id, msg.try_number, msg.map_index)
    if due is None or due <= now:
        return False
    delay = min((due - now).total_seconds(), MAX_SQS_DELAY)
    backend.queue.send([(msg, int(delay + 0.999))])
    log.info("%s arrived %.0fs before its retry is due; sent again with that delay", msg, (due - now).total_seconds())
    return True


def _record_crash(backend: Backend, msg: TaskMessage, token: str, now: datetime, error: str) -> str:
    log.error("%s: %s", msg, error)
    if backend.runs.finish_try(msg.dag_id, msg.run_id, msg.task_id, token=token, state=TaskState.FAILED, start=now,
                               end=now, next_retry_at=None, error=error, xcom_return=None, xcom_return_ref=None,
                               map_index=msg.map_index):
        _stats(backend).record(TaskState.FAILED.value, now, time.monotonic())
    return "failed"
