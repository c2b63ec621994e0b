"""Edge planning (core/edges.py): what a finished task may decide about its downstream without the whole run."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.edges import (
    WAIT_FOR_ALL,
    edge_plan_applies,
    leaf_ids,
    max_parallel,
    run_allows_edge_plan,
    slots_bind,
    verdict_from_edge,
    verdict_from_states,
)
from chalicelib.core.planner import RunSnapshot, TaskInstanceView, plan
from chalicelib.core.states import RunState, TaskState
from chalicelib.core.trigger_rules import TriggerRule, UpstreamCounts, Verdict, evaluate
from tests.unit.test_planner import make_dag

S = TaskState
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
RULES = [r for r in TriggerRule if r is not TriggerRule.ALL_DONE_SETUP_SUCCESS]


def test_max_parallel_bounds_what_can_run_at_once() -> None:
    assert max_parallel(make_dag("a>b b>c c>d")) == 1
    assert max_parallel(make_dag("r>a r>b r>c")) == 3
    assert max_parallel(make_dag("r>a r>b a>j b>j")) == 2
    assert max_parallel(make_dag(tasks="a b c")) == 3


def test_edge_plan_applies_only_where_no_special_semantics_binds_and_slots_bind_only_where_they_can() -> None:
    chain = make_dag(" ".join(f"t{i}>t{i + 1}" for i in range(40)))  # 41 tasks, never two at once
    assert edge_plan_applies(chain) and not slots_bind(chain)
    wide = make_dag(" ".join(f"r>t{i}" for i in range(20)))
    # 20 may run at once, 16 slots: the run's slot counter admits them (services/slot_gate.py)
    assert edge_plan_applies(wide) and slots_bind(wide)
    roomy = make_dag(" ".join(f"r>t{i}" for i in range(20)), max_active_tasks=32)
    assert edge_plan_applies(roomy) and not slots_bind(roomy)
    assert not slots_bind(make_dag(tasks=" ".join(f"t{i}" for i in range(20)), fail_fast=True))
    assert not edge_plan_applies(make_dag("a>b", fail_fast=True))
    dag = make_dag("a>b")
    setup = replace(dag, tasks=(replace(dag.tasks[0], is_setup=True), dag.tasks[1]))
    assert not edge_plan_applies(setup)
    past = replace(dag, tasks=(replace(dag.tasks[0], depends_on_past=True), dag.tasks[1]))
    assert not edge_plan_applies(past)


def test_run_must_be_running_and_inside_its_timeout() -> None:
    dag = make_dag("a>b", dagrun_timeout=60.0)
    start = NOW - timedelta(seconds=30)
    assert run_allows_edge_plan(dag, RunState.RUNNING, start, NOW)
    assert not run_allows_edge_plan(dag, RunState.RUNNING, start, NOW + timedelta(seconds=31))
    assert not run_allows_edge_plan(dag, RunState.FAILED, start, NOW)
    assert not run_allows_edge_plan(dag, RunState.QUEUED, start, NOW)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("finished", [S.SUCCESS, S.FAILED, S.SKIPPED, S.UPSTREAM_FAILED])
def test_one_upstream_decides_as_the_trigger_rule_does(rule: TriggerRule, finished: TaskState) -> None:
    dag = make_dag("a>b", rules={"b": rule})
    assert verdict_from_edge(dag, "b", finished=finished, done=None) == evaluate(rule, UpstreamCounts.of([finished]))


@pytest.mark.parametrize("rule", RULES)
def test_waiting_on_the_counter_never_hides_a_run(rule: TriggerRule) -> None:
    """Whatever the other upstreams are doing, while fewer than all have finished a gated rule cannot run yet:
    the only upstreams that finished without a read are successes (the rest take the whole-run plan)."""
    dag = make_dag("a>j b>j c>j", rules={"j": rule})
    for states in itertools.product([S.NONE, S.RUNNING, S.SUCCESS], repeat=3):
        done = sum(1 for s in states if s is S.SUCCESS)
        if done == 0:
            continue
        verdict = verdict_from_edge(dag, "j", finished=S.SUCCESS, done=done)
        truth = verdict_from_states(dag, "j", dict(zip("abc", states, strict=True)))
        if done < 3 and rule in WAIT_FOR_ALL:
            assert verdict is Verdict.WAIT and truth is Verdict.WAIT, (states, truth)
        else:
            assert verdict is None  # read the states: the rule may fire before all are done


@pytest.mark.parametrize("rule", RULES)
def test_states_read_decide_as_the_planner_does(rule: TriggerRule) -> None:
    dag = make_dag("a>j b>j", rules={"j": rule})
    finished = [S.SUCCESS, S.FAILED, S.SKIPPED, S.UPSTREAM_FAILED, S.NONE, S.RUNNING]
    for a, b in itertools.product(finished, repeat=2):
        tis = {"a": TaskInstanceView("a", a), "b": TaskInstanceView("b", b), "j": TaskInstanceView("j")}
        actions = plan(RunSnapshot(dag, tis), now=NOW, candidates=["j"])
        planned = {type(x).__name__ for x in actions if getattr(x, "task_id", None) == "j"}
        verdict = verdict_from_states(dag, "j", {"a": a, "b": b})
        expected = {Verdict.RUN: {"EnqueueTask"}, Verdict.WAIT: set(),
                    Verdict.SKIP: {"SettleTask"}, Verdict.UPSTREAM_FAILED: {"SettleTask"}}[verdict]
        assert planned == expected, (a, b, verdict)


def test_leaves_are_the_tasks_without_downstream() -> None:
    assert leaf_ids(make_dag("r>a r>b a>j")) == {"b", "j"}
