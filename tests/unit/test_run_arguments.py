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


def fan(**limits) -> DagSpec:
    """r fans out to five instances-like tasks of one kind (w0..w4 stand for one limited task each) and x."""
    return DagSpec("f", "f.py", (
        TaskSpec("r", "EmptyOperator", downstream=("w", "x")),
        TaskSpec("w", "EmptyOperator", upstream=("r",), priority_weight=5, **limits),
        TaskSpec("x", "EmptyOperator", upstream=("r",)),
    ))


def mapped_snapshot(dag: DagSpec, states: list[S], *, elsewhere=None) -> RunSnapshot:
    """`w` expanded into len(states) instances with these states; r succeeded."""
    tis = {"r": TaskInstanceView("r", S.SUCCESS, 1), "x": TaskInstanceView("x", S.SUCCESS, 1),
           "w": TaskInstanceView("w", S.REMOVED, 0, map_count=len(states))}
    for i, state in enumerate(states):
        tis[f"w#{i}"] = TaskInstanceView("w", state, 0 if state is S.NONE else 1, map_index=i)
    return RunSnapshot(dag, tis, RunState.RUNNING, NOW, active_elsewhere=elsewhere or {})


def admitted(snapshot: RunSnapshot) -> list[tuple[str, int]]:
    return [(a.task_id, a.map_index) for a in plan(snapshot, now=NOW) if isinstance(a, EnqueueTask)]


def test_max_active_tis_per_dagrun_admits_instances_up_to_the_limit():
    dag = fan(max_active_tis_per_dagrun=2)

    assert admitted(mapped_snapshot(dag, [S.NONE] * 5)) == [("w", 0), ("w", 1)]
    assert admitted(mapped_snapshot(dag, [S.RUNNING, S.NONE, S.NONE, S.NONE, S.NONE])) == [("w", 1)]
    assert admitted(mapped_snapshot(dag, [S.SUCCESS, S.RUNNING, S.QUEUED, S.NONE, S.NONE])) == []
    assert admitted(mapped_snapshot(dag, [S.SUCCESS, S.FAILED, S.RUNNING, S.NONE, S.NONE])) == [("w", 3)]


def test_max_active_tis_per_dag_counts_the_other_runs_instances():
    dag = fan(max_active_tis_per_dag=3)

    assert admitted(mapped_snapshot(dag, [S.NONE] * 5, elsewhere={"w": 2})) == [("w", 0)]
    assert admitted(mapped_snapshot(dag, [S.NONE] * 5, elsewhere={"w": 3})) == []
    assert admitted(mapped_snapshot(dag, [S.NONE] * 5)) == [("w", 0), ("w", 1), ("w", 2)]


def test_a_task_at_its_limit_lets_the_next_in_priority_through():
    dag = fan(max_active_tis_per_dag=1)
    snap = RunSnapshot(dag, {"r": TaskInstanceView("r", S.SUCCESS, 1)}, RunState.RUNNING, NOW,
                       active_elsewhere={"w": 1})

    assert admitted(snap) == [("x", -1)]  # w (higher priority) waits for the other run's instance


def test_instance_limits_survive_the_spec_round_trip():
    dag = fan(max_active_tis_per_dag=4, max_active_tis_per_dagrun=2)

    again = DagSpec.from_dict(dag.to_dict())

    assert (again.task("w").max_active_tis_per_dag, again.task("w").max_active_tis_per_dagrun) == (4, 2)
    assert again.task("x").max_active_tis_per_dag is None and not again.task("x").limits_instances
