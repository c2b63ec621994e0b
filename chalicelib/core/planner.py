"""The planner: given one DAG run's snapshot and `now`, the actions that move it forward.

Everything that executes DAGs — `levante dags test`, the scheduler tick and the worker — asks this one
function what to do next, so trigger rules, retries, concurrency limits and run completion mean the same
thing everywhere. It reads a snapshot and returns actions; it never performs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from chalicelib.core.admission import admit, past_allows
from chalicelib.core.edges import slots_bind
from chalicelib.core.graph import downstream_closure, effective_leaves, topological_order
from chalicelib.core.mapping import map_count, split_key, ti_key
from chalicelib.core.spec import DagSpec, TaskSpec
from chalicelib.core.states import FAILED_STATES, NOT_STARTED_STATES, SUCCESS_STATES, RunState, TaskState
from chalicelib.core.trigger_rules import UpstreamCounts, Verdict, evaluate


@dataclass(frozen=True)
class TaskInstanceView:
    task_id: str
    state: TaskState = TaskState.NONE
    try_number: int = 0  # tries started so far; the next try runs as try_number + 1
    next_retry_at: datetime | None = None  # due time of an UP_FOR_RETRY or UP_FOR_RESCHEDULE instance
    delayed: bool = False  # its next try already waits in the queue (a delayed message); not planned again
    map_index: int = -1
    map_count: int | None = None  # on the -1 instance of a mapped task once expanded: how many instances
    map_length: int | None = None  # values this instance's output offers to a downstream expansion
    slot: bool = False  # this queued or running try holds one of the run's slots (store/slots.py)
    end_date: datetime | None = None  # when its last try ended (or it was settled)

    @property
    def key(self) -> str:
        return ti_key(self.task_id, self.map_index)


@dataclass(frozen=True)
class RunSnapshot:
    dag: DagSpec
    tis: Mapping[str, TaskInstanceView]  # by ti_key: the task id, or "task_id#map_index"
    state: RunState = RunState.RUNNING
    start_date: datetime | None = None
    # The previous run's task states, for depends_on_past; None when there is no previous run.
    previous: Mapping[str, TaskState] | None = None
    # Queued or running instances of each task in the DAG's other runs, for max_active_tis_per_dag (read only
    # for tasks that set it; a task absent here has none).
    active_elsewhere: Mapping[str, int] = field(default_factory=dict)

    def state_of(self, task_id: str, map_index: int = -1) -> TaskState:
        ti = self.tis.get(ti_key(task_id, map_index))
        return ti.state if ti else TaskState.NONE

    def map_count(self, task_id: str) -> int | None:
        """Instances of an expanded mapped task; None for an unmapped task or one not yet expanded."""
        ti = self.tis.get(task_id)
        return ti.map_count if ti else None

    def instance_keys(self, task_id: str) -> list[str]:
        count = self.map_count(task_id)
        return [task_id] if count is None else [ti_key(task_id, i) for i in range(count)]

    def live_states(self) -> dict[str, TaskState]:
        """State of every task instance that counts (an expanded task's -1 placeholder does not)."""
        tis = self.tis
        return {key: (tis[key].state if key in tis else TaskState.NONE)
                for t in self.dag.task_ids for key in self.instance_keys(t)}

    def output_length(self, task_id: str) -> int | None:
        """Length of a task's output as a downstream expansion sees it; None until known.

        Unmapped: the length recorded when it succeeded. Mapped (Airflow's "second order"): how many of its
        instances returned a value, once it has expanded.
        """
        if self.dag.task(task_id).mapped is None:
            ti = self.tis.get(task_id)
            return ti.map_length if ti else None
        if self.map_count(task_id) is None:
            return 0 if self.state_of(task_id).finished else None
        total = 0
        for key in self.instance_keys(task_id):
            ti = self.tis.get(key)
            if ti is None or not ti.state.finished:
                return None
            total += ti.map_length or 0
        return total


# --- actions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnqueueTask:
    """Queue a try of the task. `try_number` is the try it will run as (a reschedule keeps its number)."""

    task_id: str
    try_number: int
    reason: str = "ready"  # "ready" | "retry" | "reschedule"
    map_index: int = -1


@dataclass(frozen=True)
class SettleTask:
    """Finish a task that will not run: SKIPPED or UPSTREAM_FAILED by its trigger rule, or SKIPPED by timeout."""

    task_id: str
    state: TaskState
    reason: str = ""
    map_index: int = -1


@dataclass(frozen=True)
class ExpandTask:
    """Create instances 0..count-1 of a mapped task (state none); its -1 instance stops counting."""

    task_id: str
    count: int


@dataclass(frozen=True)
class FinishRun:
    state: RunState
    reason: str = ""


Action = EnqueueTask | SettleTask | ExpandTask | FinishRun


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
    actions: list[Action] = _fail_fast(dag, snapshot.live_states())
    evaluation = _Evaluation(snapshot, actions)
    ready = evaluation.settle_and_find_ready(candidates)
    ready = [(t, i) for t, i in ready if past_allows(dag.task(t), snapshot.previous)]
    due = _due_tries(snapshot, now)
    actions += due
    states = evaluation.states()
    # A DAG whose slots can bind counts them on the run's slot counter (services/slot_gate.py), which the
    # executor asks for each task it starts; the plan offers every ready task, highest priority first.
    admitted = admit(dag, ready, states, already=len(due), active_elsewhere=snapshot.active_elsewhere,
                     counted_elsewhere=slots_bind(dag))
    actions += [EnqueueTask(t, _next_try(evaluation.snapshot, t, i), map_index=i) for t, i in admitted]
    if candidates is None and not any(isinstance(a, EnqueueTask) for a in actions):
        outcome = run_outcome(dag, apply(snapshot, actions).live_states())
        if outcome is not None:
            actions.append(FinishRun(outcome))
    return actions


class _Evaluation:
    """One pass of trigger-rule evaluation in topological order; settles and expansions are applied to the
    working snapshot as they are decided, so they cascade within the pass."""

    def __init__(self, snapshot: RunSnapshot, actions: list[Action]):
        self.snapshot = replace(snapshot, tis=dict(snapshot.tis))  # a private copy, updated in place
        self.actions = actions
        for action in actions:  # decided before the pass (fail_fast)
            _apply_into(self.snapshot.tis, action)  # type: ignore[arg-type]

    def _do(self, action: Action) -> None:
        self.actions.append(action)
        _apply_into(self.snapshot.tis, action)  # type: ignore[arg-type]

    def settle_and_find_ready(self, candidates: Iterable[str] | None) -> list[tuple[str, int]]:
        dag = self.snapshot.dag
        pending = list(topological_order(dag)) if candidates is None else downstream_closure(dag, candidates)
        ready: list[tuple[str, int]] = []
        for task_id in pending:
            task = dag.task(task_id)
            if task.mapped is not None and self.snapshot.map_count(task_id) is None:
                if not self._expand(task):
                    continue
            shared: list[TaskState] | None = None  # upstream states every instance sees (computed once)
            shared_verdict: Verdict | None = None
            setups: list[TaskState] = []
            for key in self.snapshot.instance_keys(task_id):
                _, map_index = split_key(key)
                ti = self.snapshot.tis.get(key)
                if ti is not None and ti.state not in NOT_STARTED_STATES:
                    continue
                if shared is None:
                    shared = self._upstream_states(task, -1, same_group=False)
                    setups = self._setup_states(task)
                own = self._upstream_states(task, map_index, same_group=True) if map_index >= 0 else []
                if own:
                    verdict = evaluate(task.trigger_rule, UpstreamCounts.of(shared + own, setups))
                else:
                    if shared_verdict is None:
                        shared_verdict = evaluate(task.trigger_rule, UpstreamCounts.of(shared, setups))
                    verdict = shared_verdict
                if verdict is Verdict.RUN:
                    ready.append((task_id, map_index))
                else:
                    self._settle(task, verdict, map_index)
        return ready

    def _settle(self, task: TaskSpec, verdict: Verdict, map_index: int, reason: str = "") -> None:
        if verdict is Verdict.WAIT:
            return
        state = TaskState.SKIPPED if verdict is Verdict.SKIP else TaskState.UPSTREAM_FAILED
        self._do(SettleTask(task.task_id, state, reason or f"trigger rule {task.trigger_rule}", map_index))

    def _expand(self, task: TaskSpec) -> bool:
        """Expand a mapped task once its upstreams allow it to run; True if it now has instances."""
        if self.snapshot.state_of(task.task_id) not in NOT_STARTED_STATES:
            return False
        verdict = evaluate(task.trigger_rule, self._upstream_counts(task, -1))
        if verdict is not Verdict.RUN:
            self._settle(task, verdict, -1)
            return False
        lengths = {i.task_id: self.snapshot.output_length(i.task_id) for i in task.mapped.inputs if i.task_id}
        count = map_count(task.mapped, lengths)
        if count is None:
            dag = self.snapshot.dag
            if any(dag.task(p).mapped is not None or not self.snapshot.state_of(p).finished
                   for p, length in lengths.items() if length is None):
                return False  # a producer the task has no edge to (in a mapped task group) has not run yet
            count = 0  # a producer ended without output (e.g. all_done after a failure)
        if count == 0:  # Airflow: a zero-length expansion skips the task
            self._do(SettleTask(task.task_id, TaskState.SKIPPED, "mapped over an empty input"))
            return False
        self._do(ExpandTask(task.task_id, count))
        return True

    def _upstream_counts(self, task: TaskSpec, map_index: int) -> UpstreamCounts:
        return UpstreamCounts.of(self._upstream_states(task, map_index, same_group=False)
                                 + self._upstream_states(task, map_index, same_group=True), self._setup_states(task))

    def _setup_states(self, task: TaskSpec) -> list[TaskState]:
        """States of the upstream setup tasks (every instance of a mapped one), for teardown trigger rules."""
        dag, tis = self.snapshot.dag, self.snapshot.tis
        return [tis[k].state if k in tis else TaskState.NONE
                for up in task.upstream if dag.task(up).is_setup for k in self.snapshot.instance_keys(up)]

    def _upstream_states(self, task: TaskSpec, map_index: int, *, same_group: bool) -> list[TaskState]:
        """States of the direct upstream instances that decide this instance (Airflow: every instance of a
        mapped upstream; within one mapped task group, the upstream instance with the same map_index).

        `same_group` selects the in-group upstreams (per instance) or the others (the same for every instance).
        """
        states: list[TaskState] = []
        group = task.mapped.group if task.mapped else None
        for up in task.upstream:
            up_spec = self.snapshot.dag.task(up)
            in_group = group is not None and up_spec.mapped is not None and up_spec.mapped.group == group
            if in_group and self.snapshot.map_count(up) is not None:
                if same_group and map_index >= 0:
                    states.append(self.snapshot.state_of(up, map_index))
                continue  # the -1 instance waits only for the group's upstream to expand
            if not same_group:
                tis = self.snapshot.tis
                states.extend(tis[k].state if k in tis else TaskState.NONE for k in self.snapshot.instance_keys(up))
        return states

    def states(self) -> dict[str, TaskState]:
        return self.snapshot.live_states()


def _fail_fast(dag: DagSpec, states: dict[str, TaskState]) -> list[Action]:
    """fail_fast: once a task failed, what has not started is skipped (teardowns still clean up).

    `states` is keyed by ti_key (`RunSnapshot.live_states`), so every waiting mapped instance is skipped too.
    """
    if not dag.fail_fast or TaskState.FAILED not in states.values():
        return []
    index = dag.task_index()
    waiting = NOT_STARTED_STATES | {TaskState.UP_FOR_RETRY, TaskState.UP_FOR_RESCHEDULE}
    stopped = [split_key(k) for k, s in states.items() if s in waiting and not index[split_key(k)[0]].is_teardown]
    return [SettleTask(task_id, TaskState.SKIPPED, "fail_fast", map_index) for task_id, map_index in stopped]


def _due_tries(snapshot: RunSnapshot, now: datetime) -> list[Action]:
    due: list[Action] = []
    for ti in snapshot.tis.values():
        if ti.next_retry_at is None or ti.next_retry_at > now or ti.delayed:
            continue
        if ti.state is TaskState.UP_FOR_RETRY:
            due.append(EnqueueTask(ti.task_id, ti.try_number + 1, "retry", ti.map_index))
        elif ti.state is TaskState.UP_FOR_RESCHEDULE:
            due.append(EnqueueTask(ti.task_id, ti.try_number, "reschedule", ti.map_index))
    return due


def _timed_out(snapshot: RunSnapshot, now: datetime) -> list[Action] | None:
    timeout = snapshot.dag.dagrun_timeout
    if timeout is None or snapshot.start_date is None:
        return None
    if now <= snapshot.start_date + timedelta(seconds=timeout):  # Airflow: strictly past the deadline
        return None
    # Airflow skips what has not finished and fails the run.
    actions: list[Action] = []
    for key, state in snapshot.live_states().items():
        if not state.finished:
            task_id, map_index = split_key(key)
            actions.append(SettleTask(task_id, TaskState.SKIPPED, "dagrun_timeout", map_index))
    actions.append(FinishRun(RunState.FAILED, f"timed out after {timeout:g}s"))
    return actions


def run_outcome(dag: DagSpec, states: Mapping[str, TaskState]) -> RunState | None:
    """The run's final state once every task instance has finished (Airflow: the leaves decide).

    `states` is keyed by ti_key (`RunSnapshot.live_states`): a mapped leaf counts with all its instances.
    """
    if not all(state.finished for state in states.values()):
        return None
    leaf_ids = set(effective_leaves(dag))
    leaves = [state for key, state in states.items() if split_key(key)[0] in leaf_ids]
    if any(s in FAILED_STATES for s in leaves):
        return RunState.FAILED
    if all(s in SUCCESS_STATES for s in leaves):
        return RunState.SUCCESS
    return RunState.FAILED


def apply(snapshot: RunSnapshot, actions: Iterable[Action]) -> RunSnapshot:
    """The snapshot after `actions`, as an executor that performed them all would see it."""
    tis = dict(snapshot.tis)
    state = snapshot.state
    for action in actions:
        if isinstance(action, FinishRun):
            state = action.state
        else:
            _apply_into(tis, action)
    return replace(snapshot, tis=tis, state=state)


def _apply_into(tis: dict[str, TaskInstanceView], action: Action) -> None:
    if isinstance(action, (EnqueueTask, SettleTask)):
        key = ti_key(action.task_id, action.map_index)
        old = tis.get(key, TaskInstanceView(action.task_id, map_index=action.map_index))
        if isinstance(action, EnqueueTask):
            tis[key] = replace(old, state=TaskState.QUEUED, try_number=action.try_number, next_retry_at=None,
                               delayed=False)
        else:
            tis[key] = replace(old, state=action.state, next_retry_at=None)
    elif isinstance(action, ExpandTask):
        old = tis.get(action.task_id, TaskInstanceView(action.task_id))
        tis[action.task_id] = replace(old, state=TaskState.REMOVED, map_count=action.count)
        for i in range(action.count):
            tis.setdefault(ti_key(action.task_id, i), TaskInstanceView(action.task_id, map_index=i))


def branch_skips(snapshot: RunSnapshot, task_ids: Iterable[str]) -> list[SettleTask]:
    """Skips a branch or short-circuit asked for; a task that already started or finished keeps its state."""
    skips = []
    for task_id in sorted(task_ids):
        for key in snapshot.instance_keys(task_id):
            _, map_index = split_key(key)
            if snapshot.state_of(task_id, map_index) in NOT_STARTED_STATES:
                skips.append(SettleTask(task_id, TaskState.SKIPPED, "skipped by an upstream branch or short-circuit",
                                        map_index))
    return skips


def _next_try(snapshot: RunSnapshot, task_id: str, map_index: int) -> int:
    ti = snapshot.tis.get(ti_key(task_id, map_index))
    return (ti.try_number if ti else 0) + 1
