"""The shape of a DAG, apart from any run: topological order, what lies downstream, which tasks are leaves.

Pure functions of a `DagSpec`; the planner, the edge planner and the views share them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from chalicelib.core.spec import DagSpec


def topological_order(dag: DagSpec) -> list[str]:
    """Task ids, each after all its upstream ones (computed once per spec and kept on it)."""
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


def downstream_closure(dag: DagSpec, start: Iterable[str]) -> list[str]:
    """`start` and everything downstream of it, in topological order."""
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


def effective_leaves(dag: DagSpec) -> list[str]:
    """The tasks whose states decide the run's: teardowns (unless on_failure_fail_dagrun) do not count,
    and a task followed only by such teardowns counts as a leaf (Airflow's _tis_for_dagrun_state)."""
    index = dag.task_index()

    def ignorable(task_id: str) -> bool:
        task = index[task_id]
        return task.is_teardown and not task.on_failure_fail_dagrun

    leaves = [t.task_id for t in dag.tasks if not ignorable(t.task_id) and all(ignorable(d) for d in t.downstream)]
    return leaves or dag.leaves
