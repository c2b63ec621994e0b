"""What the worker does once a try has ended: a pure plan of small instructions, applied by one executor
(services/task_consumer.py), as the tick plans runs (core/planner.py) and services/plan_executor.py carries them out.

The try's end comes from the supervisor: the child's own report, or nothing when the child died (killed by
the timeout, crashed, out of memory). A try whose outcome cannot be stored (an XCom write refused) is
planned again as a failure of that try: its retries apply and user code is not run again by this worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.core.edges import edge_plan_applies, max_parallel
from chalicelib.core.retries import after_failure
from chalicelib.core.spec import DagSpec
from chalicelib.core.states import TaskState


@dataclass(frozen=True)
class TryEnd:
    """How a try ended, as the supervisor observed it."""

    run_id: str
    task_id: str
    try_number: int
    max_tries: int  # retries granted so far (the task instance's max_tries)
    state: TaskState | None  # reported by the child; None when it died before reporting
    start_date: datetime
    end_date: datetime
    next_retry_at: datetime | None = None
    skip_task_ids: frozenset[str] = frozenset()
    error: str | None = None
    has_xcoms: bool = False
    first_start_known: bool = True  # the task instance already has first_start (reschedule-mode sensors)
    map_index: int = -1
    map_length: int | None = None  # what the output offers a downstream expansion (core/planner.py)


# --- instructions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteXComs:
    """Store what the try pushed (its return value goes with the final state)."""


@dataclass(frozen=True)
class SettleSkips:
    task_ids: tuple[str, ...]


@dataclass(frozen=True)
class SetFirstStart:
    when: datetime


@dataclass(frozen=True)
class FinishTry:
    state: TaskState
    next_retry_at: datetime | None
    error: str | None
    with_return_value: bool
    delayed_try: int | None = None  # the try whose delayed message follows (EnqueueLater)
    map_length: int | None = None


@dataclass(frozen=True)
class EnqueueLater:
    """A retry or reschedule due soon enough to ride on the queue's delivery delay."""

    try_number: int
    delay_seconds: float


@dataclass(frozen=True)
class AdvanceRun:
    """Plan the run after this try: only these tasks' trigger rules, or the whole run when None."""

    candidates: tuple[str, ...] | None


Instruction = WriteXComs | SettleSkips | SetFirstStart | FinishTry | EnqueueLater | AdvanceRun


def plan_after_try(spec: DagSpec, end: TryEnd, *, now: datetime, max_queue_delay: float,
                   storage_error: str | None = None, jitter: bool = True) -> list[Instruction]:
    """Instructions in the order they must land (each one visible before the next)."""
    if end.state is None or storage_error is not None:
        return _failed_try(spec, end, now=now, max_queue_delay=max_queue_delay, jitter=jitter,
                           error=storage_error or end.error or "the task's process ended without an outcome")
    out: list[Instruction | None] = []
    if end.has_xcoms:  # first: an XCom that cannot be stored fails the try before anything else is visible
        out.append(WriteXComs())
    if end.state is TaskState.SUCCESS and end.skip_task_ids:
        # before the branch's success: once that is visible, a concurrent tick would queue the skipped tasks
        out.append(SettleSkips(tuple(sorted(end.skip_task_ids))))
    if end.state is TaskState.UP_FOR_RESCHEDULE and not end.first_start_known:
        out.append(SetFirstStart(end.start_date))
    then = _next(spec, end, end.state, end.next_retry_at, now=now, max_queue_delay=max_queue_delay)
    out.append(FinishTry(end.state, end.next_retry_at, end.error, with_return_value=end.has_xcoms,
                         delayed_try=then.try_number if isinstance(then, EnqueueLater) else None,
                         map_length=end.map_length if end.state is TaskState.SUCCESS else None))
    out.append(then)
    return [i for i in out if i is not None]


def _failed_try(spec: DagSpec, end: TryEnd, *, now: datetime, max_queue_delay: float, jitter: bool,
                error: str) -> list[Instruction]:
    policy = spec.task(end.task_id).retry
    verdict = after_failure(policy, try_number=end.try_number, max_tries=end.max_tries, failed_at=now,
                            seed=f"{spec.dag_id}#{end.task_id}#{end.run_id}", jitter=jitter)
    then = _next(spec, end, verdict.state, verdict.next_retry_at, now=now, max_queue_delay=max_queue_delay)
    delayed = then.try_number if isinstance(then, EnqueueLater) else None
    return [FinishTry(verdict.state, verdict.next_retry_at, error, with_return_value=False, delayed_try=delayed),
            *([then] if then is not None else [])]


def _next(spec: DagSpec, end: TryEnd, state: TaskState, next_retry_at: datetime | None, *, now: datetime,
          max_queue_delay: float) -> Instruction | None:
    if state in (TaskState.UP_FOR_RETRY, TaskState.UP_FOR_RESCHEDULE) and next_retry_at is not None:
        delay = max((next_retry_at - now).total_seconds(), 0.0)
        if delay > max_queue_delay:  # longer waits are picked up by the tick when due
            return None
        return EnqueueLater(end.try_number + (1 if state is TaskState.UP_FOR_RETRY else 0), delay)
    waiters = max_parallel(spec) > spec.max_active_tasks and not edge_plan_applies(spec)  # else slot_gate's
    if waiters or any(t.mapped or t.limits_instances for t in spec.tasks):
        # This try freed a slot, and tasks beyond the direct downstream may be waiting for one (a fan-out
        # wider than max_active_tasks, mapped instances, a task at its max_active_tis_*): plan the whole run
        # rather than leave them to the tick. (A DAG that can never run more tasks at once than its slots, e.g. a long chain, has no
        # such waiters: core/edges.py.)
        return AdvanceRun(candidates=None)
    return AdvanceRun(tuple(sorted(set(spec.task(end.task_id).downstream) | set(end.skip_task_ids))))
