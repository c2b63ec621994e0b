"""Downstream readiness from the edges of one finished task, without reading the whole run (issue #17).

When a task succeeds, the worker decides its direct downstream tasks from those edges alone:
- a downstream task with one upstream: the finished task's state is all its trigger rule sees;
- with several: a counter on the downstream task's item counts its finished upstreams (every finished
  upstream adds one and reads the new value back); only the upstream that brings it to the in-degree reads
  the upstream states, by key, and evaluates the rule. A rule that may fire before every upstream is done
  (one_success, all_skipped, ...) reads them at every finish.
So one task's reads and writes grow with its in- and out-degree, never with the size of its run.

A counter is a hint and never decides on its own: the rule is always evaluated on states read or known. A
counter too high (a write retried after a timeout, a cleared task) costs an early read; too low (a worker
that died between its final state and the counter) leaves the task to the scheduler tick, which plans the
whole run as before. Everything else — a failure or a skip to propagate, mapped tasks, fail_fast,
depends_on_past, setup/teardown, a run past its dagrun_timeout — takes the whole-run plan (core/planner.py),
so each semantic still lives in one place. A DAG that may run more tasks at once than its max_active_tasks
counts its slots instead of its run's active tasks (`slots_bind`, store/slots.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from chalicelib.core.graph import topological_order
from chalicelib.core.spec import DagSpec
from chalicelib.core.states import RunState, TaskState
from chalicelib.core.trigger_rules import TriggerRule, UpstreamCounts, Verdict, evaluate

# Rules that can only say RUN once every upstream is done: until the counter says so, they wait. (Their
# SKIP and UPSTREAM_FAILED verdicts come from a failed or skipped upstream, which takes the whole-run plan.)
WAIT_FOR_ALL = frozenset({
    TriggerRule.ALL_SUCCESS, TriggerRule.ALL_DONE, TriggerRule.NONE_FAILED, TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS,
    TriggerRule.ALL_DONE_MIN_ONE_SUCCESS, TriggerRule.NONE_SKIPPED,
})


def edge_plan_applies(spec: DagSpec) -> bool:
    """Whether a successful try of this DAG may decide its downstream from its edges (cached per spec)."""
    cached = spec.__dict__.get("_edge_plan")
    if cached is None:
        cached = not spec.fail_fast and not any(
            t.mapped is not None or t.is_setup or t.is_teardown or t.depends_on_past or t.wait_for_downstream
            or t.limits_instances for t in spec.tasks)
        object.__setattr__(spec, "_edge_plan", cached)
    return cached


def slots_bind(spec: DagSpec) -> bool:
    """Whether the DAG's max_active_tasks can bind (it may run more tasks at once than its slots): its tries
    then start their downstream through the run's slot counter and waiting list (services/slot_gate.py)."""
    cached = spec.__dict__.get("_slots_bind")
    if cached is None:
        cached = edge_plan_applies(spec) and max_parallel(spec) > spec.max_active_tasks
        object.__setattr__(spec, "_slots_bind", cached)
    return cached


def max_parallel(spec: DagSpec) -> int:
    """An upper bound on how many of the DAG's tasks can be active at once: tasks on one path never are, so
    at most one task of its longest path is (n - longest + 1). Under max_active_tasks, no slot can bind, and
    the worker need not count the run's active tasks."""
    longest: dict[str, int] = {}
    for task_id in topological_order(spec):
        task = spec.task(task_id)
        longest[task_id] = 1 + max((longest[u] for u in task.upstream), default=0)
    return len(spec.tasks) - max(longest.values(), default=0) + 1


def run_allows_edge_plan(spec: DagSpec, state: RunState, start_date: datetime | None, now: datetime) -> bool:
    """A running run inside its dagrun_timeout (past it, the whole-run plan skips what is left and fails it)."""
    if state is not RunState.RUNNING:
        return False
    timeout = spec.dagrun_timeout
    return timeout is None or start_date is None or now <= start_date + timedelta(seconds=timeout)


def counted(spec: DagSpec, task_id: str) -> list[str]:
    """Downstream tasks of `task_id` that keep a finished-upstream counter (those with several upstreams)."""
    return [d for d in spec.task(task_id).downstream if len(spec.task(d).upstream) > 1]


def verdict_from_edge(spec: DagSpec, down_id: str, *, finished: TaskState, done: int | None) -> Verdict | None:
    """The downstream task's verdict known without reading its upstreams, or None: read them, then call
    `verdict_from_states`. `done` is its counter after this finish (None for a task with one upstream)."""
    task = spec.task(down_id)
    if len(task.upstream) == 1:
        return evaluate(task.trigger_rule, UpstreamCounts.of([finished]))
    if task.trigger_rule in WAIT_FOR_ALL and done is not None and done < len(task.upstream):
        return Verdict.WAIT
    return None


def verdict_from_states(spec: DagSpec, down_id: str, states: Mapping[str, TaskState]) -> Verdict:
    """The trigger rule on the upstream states as read (a missing item is state none, as everywhere)."""
    task = spec.task(down_id)
    return evaluate(task.trigger_rule, UpstreamCounts.of([states.get(u, TaskState.NONE) for u in task.upstream]))


def leaf_ids(spec: DagSpec) -> frozenset[str]:
    """Tasks without downstream: once each has finished (a counter of them per run), the run may be done."""
    return frozenset(t.task_id for t in spec.tasks if not t.downstream)
