"""The planner: given one DAG run's snapshot and `now`, the actions that move it forward.

Everything that executes DAGs — `levante dags test`, the scheduler tick and the worker — asks this one
function what to do next, so trigger rules, retries, concurrency limits and run completion mean the same
thing everywhere. It reads a snapshot and returns actions; it never performs them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chalicelib.core.spec import DagSpec, TaskSpec
from chalicelib.core.states import FAILED_STATES, SUCCESS_STATES, RunState, TaskState
from chalicelib.core.trigger_rules import UpstreamCounts, Verdict, evaluate


@dataclass(frozen=True)
class TaskInstanceView:
    task_id: str
    state: TaskState = TaskState.NONE
    try_number: int = 0  # tries started so far; the next try runs as try_number + 1
    next_retry_at: datetime | None = None  # due time of an UP_FOR_RETRY or UP_FOR_RESCHEDULE instance
    delayed: bool = False  # its next try already waits in the queue (a delayed message); not planned again


@dataclass(frozen=True)
class RunSnapshot:
    dag: DagSpec
    tis: Mapping[str, TaskInstanceView]
    state: RunState = RunState.RUNNING
    start_date: datetime | None = None
    # The previous run's task states, for depends_on_past; None when there is no previous run.
    previous: Mapping[str, TaskState] | None = None

    def state_of(self, task_id: str) -> TaskState:
        ti = self.tis.get(task_id)
        return ti.state if ti else TaskState.NONE


# --- actions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnqueueTask:
    """Queue a try of the task. `try_number` is the try it will run as (a reschedule keeps its number)."""

    task_id: str
    try_number: int
    reason: str = "ready"  # "ready" | "retry" | "reschedule"


@dataclass(frozen=True)
class SettleTask:
    """Finish a task that will not run: SKIPPED or UPSTREAM_FAILED by its trigger rule, or SKIPPED by timeout."""

    task_id: str
    state: TaskState
    reason: str = ""


@dataclass(frozen=True)
class FinishRun:
    state: RunState
    reason: str = ""


Action = EnqueueTask | SettleTask | FinishRun

ACTIVE_STATES = frozenset({TaskState.QUEUED, TaskState.RUNNING})
_WAITING_TO_START = frozenset({TaskState.NONE, TaskState.SCHEDULED})


def plan(
    snapshot: RunSnapshot, *, now: datetime, candidates: Iterable[str] | None = None
) -> list[Action]:
    """Actions for the run at `now`.

    `candidates` limits trigger-rule evaluation to those tasks (and whatever their settling cascades to); the
    worker passes the direct downstream of the task it just finished. Without it every task is considered
    and the run's completion is decided too.
    """
    if snapshot.state is not RunState.RUNNING:
        return []  # a finished run, or a queued one (waiting for a max_active_runs slot or an unpause)
    dag = snapshot.dag
    timeout = _timed_out(snapshot, now)
    if timeout is not None:
        return timeout
    states = {tid: snapshot.state_of(tid) for tid in dag.task_ids}
    actions: list[Action] = _fail_fast(dag, states)
    ready = _settle_and_find_ready(dag, states, actions, candidates)
    ready = [t for t in ready if _past_allows(dag.task(t), snapshot.previous)]
    due = _due_tries(snapshot, now)
    actions += due
    actions += _admit(dag, states, snapshot, ready, already=len(due))
    if candidates is None and not any(isinstance(a, EnqueueTask) for a in actions):
        outcome = run_outcome(dag, states)
        if outcome is not None:
            actions.append(FinishRun(outcome))
    return actions


def _settle_and_find_ready(
    dag: DagSpec, states: dict[str, TaskState], actions: list[Action], candidates: Iterable[str] | None
) -> list[str]:
    """Evaluate trigger rules in topological order, settling in `states` as we go so settles cascade."""
    index = dag.task_index()
    pending = list(topological_order(dag)) if candidates is None else _downstream_closure(dag, candidates)
    ready: list[str] = []
    for task_id in pending:
        if states[task_id] not in _WAITING_TO_START:
            continue
        task = index[task_id]
        setups = (states[u] for u in task.upstream if index[u].is_setup)
        verdict = evaluate(task.trigger_rule, UpstreamCounts.of((states[u] for u in task.upstream), setups))
        if verdict is Verdict.RUN:
            ready.append(task_id)
        elif verdict is Verdict.SKIP:
            states[task_id] = TaskState.SKIPPED
            actions.append(SettleTask(task_id, TaskState.SKIPPED, f"trigger rule {task.trigger_rule}"))
        elif verdict is Verdict.UPSTREAM_FAILED:
            states[task_id] = TaskState.UPSTREAM_FAILED
            actions.append(SettleTask(task_id, TaskState.UPSTREAM_FAILED, f"trigger rule {task.trigger_rule}"))
    return ready


def _past_allows(task: TaskSpec, previous: Mapping[str, TaskState] | None) -> bool:
    """depends_on_past: the task's instance in the previous run succeeded or skipped (and, with
    wait_for_downstream, so did that instance's direct downstream ones). The first run has no past."""
    if previous is None or not (task.depends_on_past or task.wait_for_downstream):
        return True
    done = (TaskState.SUCCESS, TaskState.SKIPPED)
    needed = [task.task_id] + (list(task.downstream) if task.wait_for_downstream else [])
    return all(previous.get(t, TaskState.SUCCESS) in done for t in needed)


def _fail_fast(dag: DagSpec, states: dict[str, TaskState]) -> list[Action]:
    """fail_fast: once a task failed, what has not started is skipped (teardowns still clean up)."""
    if not dag.fail_fast or TaskState.FAILED not in states.values():
        return []
    index = dag.task_index()
    stopped = [t for t, s in states.items() if s in (_WAITING_TO_START | {TaskState.UP_FOR_RETRY, TaskState.UP_FOR_RESCHEDULE})
               and not index[t].is_teardown]
    for task_id in stopped:
        states[task_id] = TaskState.SKIPPED
    return [SettleTask(t, TaskState.SKIPPED, "fail_fast") for t in stopped]


def _due_tries(snapshot: RunSnapshot, now: datetime) -> list[Action]:
    due: list[Action] = []
    for ti in snapshot.tis.values():
        if ti.next_retry_at is None or ti.next_retry_at > now or ti.delayed:
            continue
        if ti.state is TaskState.UP_FOR_RETRY:
            due.append(EnqueueTask(ti.task_id, ti.try_number + 1, "retry"))
        elif ti.state is TaskState.UP_FOR_RESCHEDULE:
            due.append(EnqueueTask(ti.task_id, ti.try_number, "reschedule"))
    return due


def _admit(
    dag: DagSpec, states: dict[str, TaskState], snapshot: RunSnapshot, ready: list[str], already: int
) -> list[Action]:
    """Enqueue ready tasks, highest priority first, within the DAG's max_active_tasks."""
    active = sum(1 for s in states.values() if s in ACTIVE_STATES) + already
    room = max(dag.max_active_tasks - active, 0)
    index = dag.task_index()
    order = sorted(ready, key=lambda t: -index[t].priority_weight)  # stable: ties keep topological order
    admitted: list[Action] = []
    for task_id in order[:room]:
        ti = snapshot.tis.get(task_id)
        admitted.append(EnqueueTask(task_id, (ti.try_number if ti else 0) + 1))
    return admitted


def _timed_out(snapshot: RunSnapshot, now: datetime) -> list[Action] | None:
    timeout = snapshot.dag.dagrun_timeout
    if timeout is None or snapshot.start_date is None:
        return None
    if now <= snapshot.start_date + timedelta(seconds=timeout):  # Airflow: strictly past the deadline
        return None
    # Airflow skips what has not finished and fails the run.
    actions: list[Action] = [
        SettleTask(tid, TaskState.SKIPPED, "dagrun_timeout")
        for tid in snapshot.dag.task_ids
        if not snapshot.state_of(tid).finished
    ]
    actions.append(FinishRun(RunState.FAILED, f"timed out after {timeout:g}s"))
    return actions


def run_outcome(dag: DagSpec, states: Mapping[str, TaskState]) -> RunState | None:
    """The run's final state once every task instance has finished (Airflow: the leaves decide)."""
    if not all(states[tid].finished for tid in dag.task_ids):
        return None
    leaves = [states[tid] for tid in effective_leaves(dag)]
    if any(s in FAILED_STATES for s in leaves):
        return RunState.FAILED
    if all(s in SUCCESS_STATES for s in leaves):
        return RunState.SUCCESS
    return RunState.FAILED


def effective_leaves(dag: DagSpec) -> list[str]:
    """The tasks whose states decide the run's: teardowns (unless on_failure_fail_dagrun) do not count,
    and a task followed only by such teardowns counts as a leaf (Airflow's _tis_for_dagrun_state)."""
    index = dag.task_index()

    def ignorable(task_id: str) -> bool:
        task = index[task_id]
        return task.is_teardown and not task.on_failure_fail_dagrun

    leaves = [t.task_id for t in dag.tasks if not ignorable(t.task_id) and all(ignorable(d) for d in t.downstream)]
    return leaves or dag.leaves


def topological_order(dag: DagSpec) -> list[str]:
    cached = dag.__dict__.get("_topo")
    if cached is not None:
        return cached
    index = dag.task_index()
    remaining = {t.task_id: len(t.upstream) for t in dag.tasks}
    queue = deque(t.task_id for t in dag.tasks if not t.upstream)
    order: list[str] = []
    while queue:
        task_id = queue.popleft()
        order.append(task_id)
        for down in index[task_id].downstream:
            remaining[down] -= 1
            if remaining[down] == 0:
                queue.append(down)
    if len(order) != len(dag.tasks):
        raise ValueError(f"DAG {dag.dag_id!r} has a cycle")
    object.__setattr__(dag, "_topo", order)
    return order


def _downstream_closure(dag: DagSpec, start: Iterable[str]) -> list[str]:
    wanted = set()
    index = dag.task_index()
    stack = list(start)
    while stack:
        task_id = stack.pop()
        if task_id in wanted:
            continue
        wanted.add(task_id)
        stack.extend(index[task_id].downstream)
    return [t for t in topological_order(dag) if t in wanted]


def apply(snapshot: RunSnapshot, actions: Iterable[Action]) -> RunSnapshot:
    """The snapshot after `actions`, as an executor that performed them all would see it."""
    tis = dict(snapshot.tis)
    state = snapshot.state
    for action in actions:
        if isinstance(action, EnqueueTask):
            old = tis.get(action.task_id, TaskInstanceView(action.task_id))
            tis[action.task_id] = replace(
                old, state=TaskState.QUEUED, try_number=action.try_number, next_retry_at=None, delayed=False
            )
        elif isinstance(action, SettleTask):
            old = tis.get(action.task_id, TaskInstanceView(action.task_id))
            tis[action.task_id] = replace(old, state=action.state, next_retry_at=None)
        elif isinstance(action, FinishRun):
            state = action.state
    return replace(snapshot, tis=tis, state=state)


def branch_skips(snapshot: RunSnapshot, task_ids: Iterable[str]) -> list[SettleTask]:
    """Skips a branch or short-circuit asked for; a task that already started or finished keeps its state."""
    return [
        SettleTask(task_id, TaskState.SKIPPED, "skipped by an upstream branch or short-circuit")
        for task_id in sorted(task_ids)
        if snapshot.state_of(task_id) in _WAITING_TO_START
    ]
