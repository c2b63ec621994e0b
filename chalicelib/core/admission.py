"""Admission: which of a run's ready task instances may start now. Airflow's scheduler applies the same
checks before it queues a task instance: depends_on_past / wait_for_downstream, the DAG's max_active_tasks,
and each task's max_active_tis_per_dagrun and max_active_tis_per_dag."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from chalicelib.core.mapping import split_key
from chalicelib.core.spec import DagSpec, TaskSpec
from chalicelib.core.states import TaskState

ACTIVE_STATES = frozenset({TaskState.QUEUED, TaskState.RUNNING})


def past_allows(task: TaskSpec, previous: Mapping[str, TaskState] | None) -> bool:
    """depends_on_past: the task's instance in the previous run succeeded or skipped (and, with
    wait_for_downstream, so did that instance's direct downstream ones). The first run has no past."""
    if previous is None or not (task.depends_on_past or task.wait_for_downstream):
        return True
    done = (TaskState.SUCCESS, TaskState.SKIPPED)
    needed = [task.task_id] + (list(task.downstream) if task.wait_for_downstream else [])
    return all(previous.get(t, TaskState.SUCCESS) in done for t in needed)


def admit(dag: DagSpec, ready: list[tuple[str, int]], states: Mapping[str, TaskState], *, already: int,
          active_elsewhere: Mapping[str, int], counted_elsewhere: bool = False) -> list[tuple[str, int]]:
    """The ready (task_id, map_index) instances to enqueue, highest priority first, within the DAG's
    max_active_tasks (`already` more are being enqueued besides) and each task's own limits: a task at its
    limit waits, and the next in priority may go. `states` is keyed by ti_key (`RunSnapshot.live_states`).
    `counted_elsewhere`: the run's slots are counted by whoever enqueues (store/slots.py), so all may go."""
    active = sum(1 for s in states.values() if s in ACTIVE_STATES)
    room = len(ready) if counted_elsewhere else max(dag.max_active_tasks - active - already, 0)
    index = dag.task_index()
    order = sorted(ready, key=lambda t: -index[t[0]].priority_weight)  # stable: ties keep topological order
    if any(index[task_id].limits_instances for task_id, _ in order):
        order = _within_task_limits(dag, order, states, active_elsewhere)
    return order[:room]


def _within_task_limits(dag: DagSpec, order: list[tuple[str, int]], states: Mapping[str, TaskState],
                        elsewhere: Mapping[str, int]) -> list[tuple[str, int]]:
    """`order` without the instances that would put their task over its per-run or per-DAG limit."""
    active = Counter(split_key(key)[0] for key, state in states.items() if state in ACTIVE_STATES)
    kept = []
    for task_id, map_index in order:
        task = dag.task(task_id)
        per_run, per_dag = task.max_active_tis_per_dagrun, task.max_active_tis_per_dag
        if per_run is not None and active[task_id] >= per_run:
            continue
        if per_dag is not None and active[task_id] + elsewhere.get(task_id, 0) >= per_dag:
            continue
        active[task_id] += 1
        kept.append((task_id, map_index))
    return kept
