"""Run a whole DAG in this process (`levante dags test`, `dag.test()`), with the same planner as the
distributed scheduler and worker: plan -> run one ready task -> record -> plan again, until the run ends.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TextIO

from chalicelib.core.mapping import ti_key
from chalicelib.core.planner import (
    EnqueueTask,
    ExpandTask,
    FinishRun,
    RunSnapshot,
    SettleTask,
    TaskInstanceView,
    apply,
    branch_skips,
    plan,
)
from chalicelib.core.schedule import manual_run_info
from chalicelib.core.spec import DagSpec
from chalicelib.core.states import RunState, TaskState
from chalicelib.loader.serialize import dag_to_spec
from chalicelib.runner.callbacks import run_dag_callbacks
from chalicelib.runner.try_runner import TryResult, run_try
from chalicelib.sdk.context import DagRunInfo, MemoryXComStore
from chalicelib.sdk.dag import DAG
from chalicelib.sdk.timeutil import as_aware

log = logging.getLogger("levante.runner")


class Clock(Protocol):
    def now(self) -> datetime: ...
    def sleep_until(self, when: datetime) -> None: ...


class RealClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep_until(self, when: datetime) -> None:
        delay = (when - self.now()).total_seconds()
        if delay > 0:
            time.sleep(delay)


class SkipWaitClock(RealClock):
    """Real time, except that waiting for a retry or reschedule jumps ahead instead of sleeping."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return super().now() + self.offset

    def sleep_until(self, when: datetime) -> None:
        gap = when - self.now()
        if gap > timedelta(0):
            self.offset += gap


@dataclass
class TaskInstanceResult:
    task_id: str
    state: TaskState = TaskState.NONE
    try_number: int = 0
    tries: list[TryResult] = field(default_factory=list)
    map_index: int = -1

    @property
    def start_date(self) -> datetime | None:
        return self.tries[0].start_date if self.tries else None

    @property
    def end_date(self) -> datetime | None:
        return self.tries[-1].end_date if self.tries else None


@dataclass
class RunResult:
    dag_id: str
    run_id: str
    logical_date: datetime
    state: RunState
    task_instances: list[TaskInstanceResult]
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "state": self.state.value,
            "task_instances": [
                {"task_id": ti.task_id, "map_index": ti.map_index, "state": _public_state(ti.state),
                 "try_number": ti.try_number, "start_date": _iso(ti.start_date), "end_date": _iso(ti.end_date)}
                for ti in self.task_instances
            ],
        }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _public_state(state: TaskState) -> str | None:
    return None if state is TaskState.NONE else state.value


def run_dag(
    dag: DAG,
    *,
    logical_date: datetime | None = None,
    conf: dict[str, Any] | None = None,
    run_id: str | None = None,
    clock: Clock | None = None,
    echo: TextIO | None = None,
    on_try: Any = None,
    jitter: bool = True,
) -> RunResult:
    """Run every task of `dag` once through to a final run state. Raises ParamValidationError on bad conf."""
    clock = clock or RealClock()
    started = clock.now()
    logical = as_aware(logical_date) if logical_date else started
    dag.params.resolve(conf)  # bad conf fails here, before the run exists (ParamValidationError)
    info = manual_run_info(dag.parsed_schedule, logical)
    run = DagRunInfo(
        dag_id=dag.dag_id, run_id=run_id or f"manual__{started.isoformat()}", logical_date=info.logical_date,
        data_interval_start=info.data_interval_start, data_interval_end=info.data_interval_end,
        run_type="manual", conf=dict(conf or {}), start_date=started, run_after=info.run_after,
    )
    spec = tasks_in_run(dag_to_spec(dag), dag, run.logical_date)
    snapshot = RunSnapshot(spec, {t: TaskInstanceView(t) for t in spec.task_ids}, RunState.RUNNING, started)
    results = {t: TaskInstanceResult(t) for t in spec.task_ids}  # by ti_key
    xcoms = MemoryXComStore()
    reason = ""
    while not snapshot.state.finished:
        actions = plan(snapshot, now=clock.now())
        settles = [a for a in actions if isinstance(a, (SettleTask, ExpandTask, FinishRun))]
        snapshot = apply(snapshot, settles)
        for action in settles:
            if isinstance(action, SettleTask):
                _result(results, action.task_id, action.map_index).state = action.state
            elif isinstance(action, ExpandTask):
                del results[action.task_id]  # like Airflow, the expanded task is its instances only
                for i in range(action.count):
                    _result(results, action.task_id, i)
            else:
                reason = action.reason
        enqueues = [a for a in actions if isinstance(a, EnqueueTask)]
        if snapshot.state.finished:
            break
        if not enqueues:
            if not _wait_for_next_try(snapshot, clock):
                snapshot = replace(snapshot, state=RunState.FAILED)
                reason = "deadlock: no task can run"
            continue
        # Like an executor, queue the whole batch first: a branch that runs earlier in the batch cannot
        # skip a task that was already queued beside it (Airflow behaves the same way).
        snapshot = apply(snapshot, enqueues)
        for enqueue in enqueues:
            snapshot = _run_one(dag, enqueue, snapshot, results, run, xcoms, clock, echo, jitter)
            if on_try is not None:
                on_try(_result(results, enqueue.task_id, enqueue.map_index).tries[-1])
    order = {t: i for i, t in enumerate(spec.task_ids)}
    instances = sorted(results.values(), key=lambda r: (order[r.task_id], r.map_index))
    outcome = RunResult(dag.dag_id, run.run_id, run.logical_date, snapshot.state, instances, reason)
    run_dag_callbacks(dag, run, outcome.state, reason, xcoms)
    return outcome


def tasks_in_run(spec: DagSpec, dag: DAG, logical_date: datetime) -> DagSpec:
    """Like Airflow, a run has no instance of a task that starts after its logical date (or ended before):
    `dags test` with a date before the DAG's start_date makes a run without tasks, which succeeds."""
    def in_run(task: Any) -> bool:
        start = task.start_date or dag.start_date
        return (start is None or start <= logical_date) and (task.end_date is None or logical_date <= task.end_date)

    kept = {t.task_id for t in dag.tasks if in_run(t)}
    if len(kept) == len(spec.tasks):
        return spec
    tasks = tuple(replace(t, upstream=tuple(u for u in t.upstream if u in kept),
                          downstream=tuple(d for d in t.downstream if d in kept))
                  for t in spec.tasks if t.task_id in kept)
    return replace(spec, tasks=tasks)


def _run_one(dag: DAG, enqueue: EnqueueTask, snapshot: RunSnapshot, results: dict[str, TaskInstanceResult],
             run: DagRunInfo, xcoms: MemoryXComStore, clock: Clock, echo: TextIO | None, jitter: bool) -> RunSnapshot:
    record = _result(results, enqueue.task_id, enqueue.map_index)
    first_start = record.tries[0].start_date if enqueue.reason == "reschedule" and record.tries else None
    result = run_try(
        dag.get_task(enqueue.task_id), run=run, try_number=enqueue.try_number, xcoms=xcoms,
        now=clock.now, echo=echo, first_try_start=first_start, jitter=jitter, map_index=enqueue.map_index,
    )
    record.tries.append(result)
    record.state, record.try_number = result.state, result.try_number
    tis = dict(snapshot.tis)
    tis[ti_key(enqueue.task_id, enqueue.map_index)] = TaskInstanceView(
        enqueue.task_id, result.state, result.try_number, result.next_retry_at, map_index=enqueue.map_index,
        map_length=result.map_length)
    snapshot = replace(snapshot, tis=tis)
    skips = branch_skips(snapshot, result.skip_task_ids)
    for skip in skips:
        _result(results, skip.task_id, skip.map_index).state = TaskState.SKIPPED
    return apply(snapshot, skips)


def _result(results: dict[str, TaskInstanceResult], task_id: str, map_index: int) -> TaskInstanceResult:
    key = ti_key(task_id, map_index)
    if key not in results:
        results[key] = TaskInstanceResult(task_id, map_index=map_index)
    return results[key]


def _wait_for_next_try(snapshot: RunSnapshot, clock: Clock) -> bool:
    """Sleep until the earliest pending retry/reschedule; False when nothing is pending (a deadlock)."""
    pending = [ti.next_retry_at for ti in snapshot.tis.values()
               if ti.state in (TaskState.UP_FOR_RETRY, TaskState.UP_FOR_RESCHEDULE) and ti.next_retry_at]
    if not pending:
        return False
    clock.sleep_until(min(pending))
    return True


DAG.test_runner = run_dag  # `dag.test()` runs here (the SDK may not import the runner itself)
