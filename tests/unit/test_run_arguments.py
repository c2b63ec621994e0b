"""DAG and task arguments the planner honours: fail_fast and depends_on_past / wait_for_downstream."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from chalicelib.core.planner import EnqueueTask, RunSnapshot, SettleTask, TaskInstanceView, plan
from chalicelib.core.spec import DagSpec, TaskSpec
from chalicelib.core.states import RunState, TaskState
from chalicelib.core.trigger_rules import TriggerRule

S = TaskState
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def spec(**dag_args) -> DagSpec:
    """a fails beside b and c (independent); d follows a; t is a teardown after everything."""
    return DagSpec("d", "d.py", (
        TaskSpec("a", "EmptyOperator", downstream=("d", "t")),
        TaskSpec("b", "EmptyOperator", downstream=("t",)),
        TaskSpec("c", "EmptyOperator", downstream=("t",)),
        TaskSpec("d", "EmptyOperator", upstream=("a",), downstream=("t",)),
        TaskSpec("t", "EmptyOperator", upstream=("a", "b", "c", "d"), trigger_rule=TriggerRule.ALL_DONE,
                 is_teardown=True),
    ), **dag_args)


def snapshot(dag: DagSpec, previous=None, **states: S) -> RunSnapshot:
    tis = {t: TaskInstanceView(t, states.get(t, S.NONE), 1 if t in states else 0) for t in dag.task_ids}
    return RunSnapshot(dag, tis, RunState.RUNNING, NOW, previous=previous)


def test_fail_fast_skips_what_has_not_started_but_not_teardowns():
    actions = plan(snapshot(spec(fail_fast=True), a=S.FAILED, b=S.SUCCESS, c=S.UP_FOR_RETRY), now=NOW)

    settled = {a.task_id: (a.state, a.reason) for a in actions if isinstance(a, SettleTask)}
    assert settled["c"] == (S.SKIPPED, "fail_fast")
    assert settled["d"] == (S.SKIPPED, "fail_fast")
    assert "t" not in settled and [a.task_id for a in actions if isinstance(a, EnqueueTask)] == ["t"]


def test_without_fail_fast_a_failure_only_propagates_downstream():
    actions = plan(snapshot(spec(), a=S.FAILED, b=S.SUCCESS, c=S.UP_FOR_RETRY), now=NOW)

    assert {a.task_id for a in actions if isinstance(a, SettleTask)} == {"d"}


def test_depends_on_past_waits_for_its_previous_instance():
    base = spec()
    dag = replace(base, tasks=tuple(replace(t, depends_on_past=t.task_id == "b") for t in base.tasks))

    def enqueued(previous):
        return {a.task_id for a in plan(snapshot(dag, previous), now=NOW) if isinstance(a, EnqueueTask)}

    assert enqueued(None) == {"a", "b", "c"}  # the first run has no past
    assert enqueued({"b": S.FAILED}) == {"a", "c"}
    assert enqueued({"b": S.SKIPPED}) == {"a", "b", "c"}


def test_wait_for_downstream_also_waits_for_the_previous_downstream_instances():
    base = spec()
    dag = replace(base, tasks=tuple(replace(t, wait_for_downstream=t.task_id == "a") for t in base.tasks))

    started = {a.task_id for a in plan(snapshot(dag, {"a": S.SUCCESS, "d": S.FAILED}), now=NOW)
               if isinstance(a, EnqueueTask)}

    assert started == {"b", "c"}
