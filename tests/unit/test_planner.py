"""The planner on small hand-built DagSpecs: a snapshot and a fixed `now` in, actions out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.planner import (
    EnqueueTask,
    FinishRun,
    RunSnapshot,
    SettleTask,
    TaskInstanceView,
    apply,
    branch_skips,
    plan,
    run_outcome,
    topological_order,
)
from chalicelib.core.spec import DagSpec, TaskSpec
from chalicelib.core.states import RunState, TaskState
from chalicelib.core.trigger_rules import TriggerRule

S = TaskState
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def make_dag(edges: str = "", *, rules: dict[str, TriggerRule] | None = None, tasks: str = "",
             weights: dict[str, int] | None = None, **dag_kwargs) -> DagSpec:
    """`edges` like "a>b b>c"; `tasks` names extra tasks without edges."""
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    order: list[str] = []

    def add(tid: str) -> None:
        if tid not in up:
            up[tid], down[tid] = [], []
            order.append(tid)

    for tid in tasks.split():
        add(tid)
    for edge in edges.split():
        a, b = edge.split(">")
        add(a)
        add(b)
        down[a].append(b)
        up[b].append(a)
    rules = rules or {}
    weights = weights or {}
    specs = tuple(
        TaskSpec(tid, "EmptyOperator", upstream=tuple(sorted(up[tid])), downstream=tuple(sorted(down[tid])),
                 trigger_rule=rules.get(tid, TriggerRule.ALL_SUCCESS), priority_weight=weights.get(tid, 1))
        for tid in order
    )
    return DagSpec("d", "/dags/d.py", specs, **dag_kwargs)


def snap(dag: DagSpec, start_date: datetime | None = None, **states: S | TaskInstanceView) -> RunSnapshot:
    tis = {tid: TaskInstanceView(tid) for tid in dag.task_ids}
    for tid, value in states.items():
        tis[tid] = value if isinstance(value, TaskInstanceView) else TaskInstanceView(tid, value, 1)
    return RunSnapshot(dag, tis, RunState.RUNNING, start_date)


def enqueued(actions) -> list[tuple[str, int]]:
    return [(a.task_id, a.try_number) for a in actions if isinstance(a, EnqueueTask)]


def settled(actions) -> dict[str, S]:
    return {a.task_id: a.state for a in actions if isinstance(a, SettleTask)}


def finished(actions) -> RunState | None:
    runs = [a.state for a in actions if isinstance(a, FinishRun)]
    return runs[0] if runs else None


# --- starting, cascading ----------------------------------------------------------------------------


def test_roots_are_enqueued_as_try_one():
    dag = make_dag("a>c b>c")
    actions = plan(snap(dag), now=NOW)
    assert enqueued(actions) == [("a", 1), ("b", 1)]
    assert finished(actions) is None


def test_downstream_waits_while_upstream_runs():
    dag = make_dag("a>b")
    assert plan(snap(dag, a=S.RUNNING), now=NOW) == []


def test_ready_after_upstream_success():
    dag = make_dag("a>b")
    assert enqueued(plan(snap(dag, a=S.SUCCESS), now=NOW)) == [("b", 1)]


def test_skip_cascades_down_the_chain_in_one_call():
    dag = make_dag("a>b b>c")
    actions = plan(snap(dag, a=S.SKIPPED), now=NOW)
    assert settled(actions) == {"b": S.SKIPPED, "c": S.SKIPPED}
    assert [a.task_id for a in actions if isinstance(a, SettleTask)] == ["b", "c"]  # topological
    assert finished(actions) is RunState.SUCCESS


def test_failure_cascades_as_upstream_failed_and_fails_the_run():
    dag = make_dag("a>b b>c")
    actions = plan(snap(dag, a=S.FAILED), now=NOW)
    assert settled(actions) == {"b": S.UPSTREAM_FAILED, "c": S.UPSTREAM_FAILED}
    assert finished(actions) is RunState.FAILED


def test_cascade_stops_at_a_rule_that_tolerates_it():
    dag = make_dag("a>b b>c c>d", rules={"c": TriggerRule.ALL_DONE})
    actions = plan(snap(dag, a=S.FAILED), now=NOW)
    assert settled(actions) == {"b": S.UPSTREAM_FAILED}
    assert enqueued(actions) == [("c", 1)]


def test_failed_upstream_settles_join_even_while_sibling_runs():
    dag = make_dag("a>c b>c")
    actions = plan(snap(dag, a=S.FAILED, b=S.RUNNING), now=NOW)
    assert settled(actions) == {"c": S.UPSTREAM_FAILED}
    assert finished(actions) is None  # b is still running


# --- retries and reschedules ------------------------------------------------------------------------


def test_due_retry_is_enqueued_with_the_next_try_number():
    dag = make_dag(tasks="a")
    ti = TaskInstanceView("a", S.UP_FOR_RETRY, try_number=2, next_retry_at=NOW - timedelta(seconds=1))
    assert plan(snap(dag, a=ti), now=NOW) == [EnqueueTask("a", 3, "retry")]


def test_retry_due_exactly_now_is_enqueued():
    dag = make_dag(tasks="a")
    ti = TaskInstanceView("a", S.UP_FOR_RETRY, try_number=1, next_retry_at=NOW)
    assert enqueued(plan(snap(dag, a=ti), now=NOW)) == [("a", 2)]


def test_retry_not_yet_due_waits_and_does_not_finish_the_run():
    dag = make_dag(tasks="a")
    ti = TaskInstanceView("a", S.UP_FOR_RETRY, try_number=1, next_retry_at=NOW + timedelta(seconds=1))
    assert plan(snap(dag, a=ti), now=NOW) == []


def test_due_reschedule_keeps_its_try_number():
    dag = make_dag(tasks="sensor")
    ti = TaskInstanceView("sensor", S.UP_FOR_RESCHEDULE, try_number=1, next_retry_at=NOW)
    assert plan(snap(dag, sensor=ti), now=NOW) == [EnqueueTask("sensor", 1, "reschedule")]


def test_downstream_of_a_retrying_task_waits():
    dag = make_dag("a>b")
    ti = TaskInstanceView("a", S.UP_FOR_RETRY, try_number=1, next_retry_at=NOW + timedelta(minutes=5))
    assert plan(snap(dag, a=ti), now=NOW) == []


# --- concurrency ------------------------------------------------------------------------------------


def test_max_active_tasks_admits_highest_priority_first():
    # one slot is taken by a running task, so two are admitted: high, then the first of the tied 5s
    # fail_fast: a DAG that plans its whole run counts the run's active tasks (else its slot counter decides)
    dag = make_dag(tasks="busy low mid high other", weights={"low": 1, "mid": 5, "high": 10, "other": 5},
                   max_active_tasks=3, fail_fast=True)
    actions = plan(snap(dag, busy=S.RUNNING), now=NOW)
    assert enqueued(actions) == [("high", 1), ("mid", 1)]


def test_max_active_tasks_counts_due_retries():
    dag = make_dag(tasks="a b c", max_active_tasks=2, fail_fast=True)
    retry = TaskInstanceView("a", S.UP_FOR_RETRY, try_number=1, next_retry_at=NOW)
    actions = plan(snap(dag, a=retry), now=NOW)
    assert enqueued(actions) == [("a", 2), ("b", 1)]


def test_no_room_means_no_enqueue_and_no_finish():
    dag = make_dag(tasks="a b", max_active_tasks=1, fail_fast=True)
    assert plan(snap(dag, a=S.QUEUED), now=NOW) == []


def test_where_the_slot_counter_decides_every_ready_task_is_offered_highest_priority_first():
    # services/slot_gate.py asks the run's counter for each; the plan does not count the run's active tasks
    dag = make_dag(tasks="busy low mid high", weights={"low": 1, "mid": 5, "high": 10}, max_active_tasks=2)
    assert enqueued(plan(snap(dag, busy=S.RUNNING), now=NOW)) == [("high", 1), ("mid", 1), ("low", 1)]


# --- dagrun_timeout ---------------------------------------------------------------------------------


def test_dagrun_timeout_skips_unfinished_and_fails_the_run():
    dag = make_dag("a>b b>c", dagrun_timeout=60.0)
    start = NOW - timedelta(seconds=61)
    actions = plan(snap(dag, start, a=S.SUCCESS, b=S.RUNNING), now=NOW)
    assert settled(actions) == {"b": S.SKIPPED, "c": S.SKIPPED}
    assert finished(actions) is RunState.FAILED
    assert enqueued(actions) == []


def test_dagrun_timeout_not_reached_plans_normally():
    dag = make_dag("a>b", dagrun_timeout=60.0)
    actions = plan(snap(dag, NOW - timedelta(seconds=60), a=S.SUCCESS), now=NOW)
    assert enqueued(actions) == [("b", 1)]


# --- run outcome ------------------------------------------------------------------------------------


def test_middle_failure_with_all_done_leaf_succeeds():
    dag = make_dag("a>b b>c", rules={"c": TriggerRule.ALL_DONE})
    assert run_outcome(dag, {"a": S.SUCCESS, "b": S.FAILED, "c": S.SUCCESS}) is RunState.SUCCESS


def test_failed_leaf_fails_the_run():
    dag = make_dag("a>b a>c")
    assert run_outcome(dag, {"a": S.SUCCESS, "b": S.SUCCESS, "c": S.FAILED}) is RunState.FAILED


def test_upstream_failed_leaf_fails_the_run():
    dag = make_dag("a>b")
    assert run_outcome(dag, {"a": S.SUCCESS, "b": S.UPSTREAM_FAILED}) is RunState.FAILED


def test_all_skipped_run_succeeds():
    dag = make_dag("a>b")
    assert run_outcome(dag, {"a": S.SKIPPED, "b": S.SKIPPED}) is RunState.SUCCESS


def test_unfinished_run_has_no_outcome():
    dag = make_dag("a>b")
    assert run_outcome(dag, {"a": S.SUCCESS, "b": S.NONE}) is None


def test_plan_finishes_a_run_whose_tasks_are_all_done():
    dag = make_dag("a>b", rules={"b": TriggerRule.ALL_DONE})
    assert plan(snap(dag, a=S.FAILED, b=S.SUCCESS), now=NOW) == [FinishRun(RunState.SUCCESS)]


def test_finished_run_plans_nothing():
    dag = make_dag(tasks="a")
    snapshot = RunSnapshot(dag, {"a": TaskInstanceView("a")}, RunState.FAILED)
    assert plan(snapshot, now=NOW) == []


# --- candidates -------------------------------------------------------------------------------------


def test_candidates_restrict_evaluation_to_their_downstream_closure():
    # x is ready too, but the worker only asked about b (downstream of the task it finished).
    dag = make_dag("a>b b>c", tasks="x")
    actions = plan(snap(dag, a=S.SUCCESS), now=NOW, candidates=["b"])
    assert enqueued(actions) == [("b", 1)]
    assert finished(actions) is None


def test_candidates_cascade_through_their_closure_only():
    dag = make_dag("a>b b>c p>q")
    actions = plan(snap(dag, a=S.SKIPPED, p=S.SKIPPED), now=NOW, candidates=["b"])
    assert settled(actions) == {"b": S.SKIPPED, "c": S.SKIPPED}


def test_candidates_never_decide_the_run():
    dag = make_dag("a>b")
    assert finished(plan(snap(dag, a=S.SKIPPED), now=NOW, candidates=["b"])) is None


# --- branch skips -----------------------------------------------------------------------------------


def test_branch_skips_leave_started_and_finished_tasks_alone():
    dag = make_dag(tasks="waiting scheduled queued running done")
    snapshot = snap(dag, scheduled=S.SCHEDULED, queued=S.QUEUED, running=S.RUNNING, done=S.SUCCESS)
    skips = branch_skips(snapshot, ["waiting", "scheduled", "queued", "running", "done"])
    assert [(s.task_id, s.state) for s in skips] == [("scheduled", S.SKIPPED), ("waiting", S.SKIPPED)]


def test_branch_skip_then_plan_cascades_downstream():
    dag = make_dag("br>a br>b a>j b>j", rules={"j": TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS})
    snapshot = snap(dag, br=S.SUCCESS)
    snapshot = apply(snapshot, branch_skips(snapshot, ["b"]))
    actions = plan(snapshot, now=NOW)
    assert enqueued(actions) == [("a", 1)]
    snapshot = apply(snapshot, actions)
    snapshot = apply(snapshot, [SettleTask("a", S.SUCCESS)])
    actions = plan(snapshot, now=NOW)
    assert enqueued(actions) == [("j", 1)]


# --- topology ---------------------------------------------------------------------------------------


def test_topological_order_puts_upstream_first():
    order = topological_order(make_dag("c>d a>b b>d"))
    assert order.index("a") < order.index("b") < order.index("d")
    assert order.index("c") < order.index("d")


def test_topological_order_raises_on_a_cycle():
    dag = make_dag("a>b b>c c>b")
    with pytest.raises(ValueError, match="cycle"):
        topological_order(dag)


# --- apply ------------------------------------------------------------------------------------------


def test_apply_performs_enqueues_settles_and_finish():
    dag = make_dag("a>b", tasks="c")
    retry = TaskInstanceView("c", S.UP_FOR_RETRY, 1, NOW)
    after = apply(snap(dag, c=retry), [EnqueueTask("a", 1), EnqueueTask("c", 2, "retry"),
                                       SettleTask("b", S.SKIPPED), FinishRun(RunState.FAILED)])
    assert after.tis["a"] == TaskInstanceView("a", S.QUEUED, 1)
    assert after.tis["c"] == TaskInstanceView("c", S.QUEUED, 2, None)
    assert after.tis["b"].state is S.SKIPPED
    assert after.state is RunState.FAILED


def test_apply_does_not_mutate_the_original_snapshot():
    dag = make_dag(tasks="a")
    before = snap(dag)
    apply(before, [EnqueueTask("a", 1)])
    assert before.tis["a"].state is S.NONE


def test_plan_apply_loop_runs_a_diamond_to_success():
    dag = make_dag("a>b a>c b>d c>d")
    snapshot = snap(dag)
    ran: list[str] = []
    for _ in range(10):
        actions = plan(snapshot, now=NOW)
        snapshot = apply(snapshot, actions)
        if snapshot.state.finished:
            break
        for action in actions:
            if isinstance(action, EnqueueTask):
                ran.append(action.task_id)
                snapshot = apply(snapshot, [SettleTask(action.task_id, S.SUCCESS)])
    assert snapshot.state is RunState.SUCCESS
    assert ran[0] == "a" and ran[-1] == "d" and sorted(ran) == ["a", "b", "c", "d"]
