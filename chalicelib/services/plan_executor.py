"""Carry out what the planner decided for one run: enqueue (conditional write, then SQS), settle, finish.

Used by the trigger service (roots), the worker (downstream of the task it finished) and the scheduler
tick (every active run). Each write is conditional, so two actors advancing the same run concurrently
enqueue every task once.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.core.admission import ACTIVE_STATES
from chalicelib.core.edges import edge_plan_applies, slots_bind
from chalicelib.core.mapping import ti_key
from chalicelib.core.planner import (
    EnqueueTask,
    ExpandTask,
    FinishRun,
    RunSnapshot,
    SettleTask,
    apply,
    plan,
    run_outcome,
)
from chalicelib.core.spec import DagSpec
from chalicelib.core.states import NOT_STARTED_STATES, RunState, TaskState
from chalicelib.services.backend import Backend
from chalicelib.services.handoff import Handoff
from chalicelib.services.slot_gate import SlotGate, Start
from chalicelib.store.progress import RunProgress
from chalicelib.store.runs import StoredRun
from chalicelib.store.slots import RunSlots
from chalicelib.taskqueue import TaskMessage

log = logging.getLogger("levante.advance")


class RunCallbacks(Protocol):
    def __call__(self, run: StoredRun, state: RunState, reason: str) -> None: ...


def _paused(backend: Backend, dag_id: str, known: bool | None) -> bool:
    return known if known is not None else backend.dags.is_paused(dag_id)


def advance_run(backend: Backend, spec: DagSpec, run: StoredRun, now: datetime, *,
                candidates: Iterable[str] | None = None, snapshot: RunSnapshot | None = None,
                callbacks: RunCallbacks | None = None, paused: bool | None = None,
                handoff: Handoff | None = None, gate: SlotGate | None = None, recount: bool = False,
                fresh_grace: timedelta | None = None) -> RunState | None:
    """Plan and execute; returns the run's final state if this call finished it (and then runs `callbacks`,
    the DAG's on_success/on_failure callbacks: the one place a run's end is decided and acted on).

    `handoff` (a worker after its try): the first task to enqueue that it accepts is claimed for that worker
    instead of queued (services/handoff.py). Where the DAG's slots can bind (core/edges.slots_bind), tasks
    start through the run's slot counter: `gate`, the worker's (holding its try's slot; the worker closes it),
    else one of this call's. `recount` (the scheduler tick): first correct the counter from the run's items.
    `fresh_grace` (the scheduler tick): leave a ready task whose upstream ended that recently to the fresh
    message its upstream's worker sent (services/edge_executor.py); queue it only once that message is late."""
    slotted = slots_bind(spec)
    slots = RunSlots.of_run(backend.models, spec, run) if slotted and recount else None
    seen = slots.held() if slots is not None else None  # read before the snapshot: see RunSlots.reconcile
    if snapshot is None:
        snapshot = backend.runs.snapshot(spec, run)
    if slots is not None and seen is not None:
        holders = sum(1 for ti in snapshot.tis.values() if ti.slot and ti.state in ACTIVE_STATES)
        if slots.reconcile(seen, holders, now):
            log.warning("run %s of %s: %d slot(s) counted, %d held; recounted", run.run_id, spec.dag_id, seen, holders)
    actions = plan(snapshot, now=now, candidates=candidates)
    if fresh_grace is not None and edge_plan_applies(spec) and not slotted:
        actions = [a for a in actions if not _fresh_message_due(snapshot, a, now - fresh_grace)]
    if any(isinstance(a, EnqueueTask) for a in actions) and _paused(backend, spec.dag_id, paused):
        # Airflow 3 starts no task of a paused DAG's runs; the tick queues them once it is unpaused.
        actions = [a for a in actions if not isinstance(a, EnqueueTask)]
        paused = True
    elif any(isinstance(a, EnqueueTask) for a in actions):
        paused = False  # just read (or known): the gate need not read it again
    own_gate = slotted and gate is None
    if own_gate:
        gate = SlotGate(backend, spec, run, now, handoff=handoff, paused=paused)
    fresh: list[Start] = []
    to_send: list[tuple[TaskMessage, int]] = []
    carried = run.message_fields(now)  # the run rides on the messages: their workers need not read it
    for action in actions:
        if isinstance(action, SettleTask):
            if backend.runs.settle(spec.dag_id, run.run_id, action.task_id, action.state, now, action.reason,
                                   map_index=action.map_index):
                # a settled task counts as finished on its edges (services/edge_executor.py)
                RunProgress(backend.models).count_finished(spec, run.run_id, run.created_at, action.task_id, now)
        elif isinstance(action, ExpandTask):
            backend.runs.expand(spec.dag_id, run.run_id, action.task_id, action.count, now)
        elif isinstance(action, EnqueueTask):
            key = ti_key(action.task_id, action.map_index)
            expected = snapshot.tis[key].try_number if key in snapshot.tis else None
            if gate is not None and snapshot.state_of(action.task_id) in NOT_STARTED_STATES:
                fresh.append(Start(action.task_id, action.try_number, expected))  # a retry takes no slot
                continue
            task = spec.task(action.task_id)
            if handoff is not None and handoff.accepts(task):
                handoff.take(backend.runs, run, task, now, try_number=action.try_number, expected_try=expected,
                             map_index=action.map_index)
                continue
            retries = task.retry.retries
            if backend.runs.enqueue(spec.dag_id, run.run_id, action.task_id, action.try_number, now, expected, retries,
                                    action.map_index):
                to_send.append((TaskMessage(spec.dag_id, run.run_id, action.task_id, action.try_number,
                                            action.map_index, **carried), 0))
    failed = backend.queue.send(to_send) if to_send else []
    if failed:  # left QUEUED: the tick re-sends tasks queued too long
        log.warning("could not send %d task message(s); the scheduler will re-send them", len(failed))
    if gate is not None:
        gate.start(fresh, skip_listed=True)
        if own_gate:
            gate.close()
    finish = next((a for a in actions if isinstance(a, FinishRun)), None)
    after = apply(snapshot, actions)
    final_states = after.live_states()
    if finish is None and candidates is not None:
        outcome = run_outcome(spec, final_states)
        finish = FinishRun(outcome) if outcome is not None else None
    if finish is None:
        return None
    if backend.runs.finish(spec.dag_id, run.run_id, finish.state, now):
        counts = Counter(state.value for state in final_states.values())  # every instance of a mapped task
        backend.dags.record_last_run(spec.dag_id, run.run_id, finish.state.value, now, dict(counts))
        log.info("run %s of %s finished: %s %s", run.run_id, spec.dag_id, finish.state.value, finish.reason)
        _pause_after_consecutive_failures(backend, spec, finish.state, now)
        if callbacks is not None and spec.has_callbacks:
            reason = "success" if finish.state is RunState.SUCCESS else (
                "timed out" if finish.reason.startswith("timed out") else "task_failure")
            callbacks(run, finish.state, reason)
        return finish.state
    return None


def _fresh_message_due(snapshot: RunSnapshot, action: object, since: datetime) -> bool:
    """Whether `action` queues a not-started task whose upstream ended after `since`: the worker of that
    upstream's try sent it a fresh message with no queued write, which may still be on its way."""
    if not isinstance(action, EnqueueTask) or action.map_index >= 0 or \
            snapshot.state_of(action.task_id) is not TaskState.NONE:  # scheduled: readied with no message sent
        return False
    ends = [ti.end_date for up in snapshot.dag.task(action.task_id).upstream
            if (ti := snapshot.tis.get(up)) is not None and ti.end_date is not None]
    return bool(ends) and max(ends) > since


def _pause_after_consecutive_failures(backend: Backend, spec: DagSpec, state: RunState, now: datetime) -> None:
    """max_consecutive_failed_dag_runs: when the DAG's latest N runs all failed, pause it (as Airflow does)."""
    limit = spec.max_consecutive_failed_dag_runs
    if not limit or state is not RunState.FAILED:
        return
    recent = backend.runs.list(spec.dag_id, limit=limit)
    if len(recent) == limit and all(r.state is RunState.FAILED for r in recent):
        backend.dags.set_paused(spec.dag_id, True, now)
        log.warning("DAG %s paused: its last %d runs failed (max_consecutive_failed_dag_runs)", spec.dag_id, limit)
