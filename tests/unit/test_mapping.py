"""Dynamic task mapping in the pure planner: when a mapped task expands, to how many instances, and how
trigger rules read mapped upstreams (Airflow 3.3's semantics; the conformance corpus checks them end to end)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.core.mapping import input_indexes, map_count, split_key, ti_key
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
    run_outcome,
)
from chalicelib.core.spec import DagSpec, MapInput, MapSpec, TaskSpec
from chalicelib.core.states import RunState, TaskState
from chalicelib.core.trigger_rules import TriggerRule

S = TaskState
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
FROM_PRODUCER = MapSpec((MapInput("x", task_id="produce"),))


def dag(*tasks: TaskSpec, max_active_tasks: int = 16) -> DagSpec:
    return DagSpec("m", "/dags/m.py", tasks, max_active_tasks=max_active_tasks)


def task(task_id: str, up: str = "", down: str = "", mapped: MapSpec | None = None,
         rule: TriggerRule = TriggerRule.ALL_SUCCESS) -> TaskSpec:
    return TaskSpec(task_id, "@task", upstream=tuple(up.split()), downstream=tuple(down.split()), mapped=mapped,
                    trigger_rule=rule)


PIPELINE = dag(task("produce", down="mapped"), task("mapped", up="produce", down="reduce", mapped=FROM_PRODUCER),
               task("reduce", up="mapped"))


def snapshot(spec: DagSpec, *views: TaskInstanceView) -> RunSnapshot:
    tis = {t: TaskInstanceView(t) for t in spec.task_ids}
    tis.update({v.key: v for v in views})
    return RunSnapshot(spec, tis, RunState.RUNNING, NOW)


def produced(length: int | None) -> TaskInstanceView:
    return TaskInstanceView("produce", S.SUCCESS, 1, map_length=length)


def expanded(task_id: str, *states: S, map_lengths: tuple[int | None, ...] = ()) -> list[TaskInstanceView]:
    views = [TaskInstanceView(task_id, S.REMOVED, map_count=len(states))]
    for i, state in enumerate(states):
        length = map_lengths[i] if i < len(map_lengths) else None
        views.append(TaskInstanceView(task_id, state, 1 if state.finished else 0, map_index=i, map_length=length))
    return views


def enqueued(actions) -> list[tuple[str, int]]:
    return [(a.task_id, a.map_index) for a in actions if isinstance(a, EnqueueTask)]


def test_instance_keys_round_trip():
    assert ti_key("t") == "t" and ti_key("t", 0) == "t#0" and ti_key("g.t", 12) == "g.t#12"
    assert split_key("g.t#12") == ("g.t", 12) and split_key("g.t") == ("g.t", -1)


def test_count_is_the_cross_product_and_waits_for_unknown_lengths():
    spec = MapSpec((MapInput("a", length=2), MapInput("b", task_id="up")))
    assert map_count(spec, {"up": 3}) == 6
    assert map_count(spec, {"up": None}) is None
    assert map_count(spec, {"up": 0}) == 0


def test_the_last_input_varies_fastest():
    assert [input_indexes([2, 3], i) for i in range(6)] == [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]


def test_a_mapped_task_waits_for_its_producer():
    actions = plan(snapshot(PIPELINE, TaskInstanceView("produce", S.RUNNING, 1)), now=NOW)
    assert actions == []


def test_expands_to_one_instance_per_element_once_the_producer_succeeded():
    actions = plan(snapshot(PIPELINE, produced(3)), now=NOW)
    assert [a for a in actions if isinstance(a, ExpandTask)] == [ExpandTask("mapped", 3)]
    assert enqueued(actions) == [("mapped", 0), ("mapped", 1), ("mapped", 2)]
    after = apply(snapshot(PIPELINE, produced(3)), actions)
    assert set(after.live_states()) == {"produce", "mapped#0", "mapped#1", "mapped#2", "reduce"}


def test_zero_length_skips_the_mapped_task_and_the_skip_cascades():
    actions = plan(snapshot(PIPELINE, produced(0)), now=NOW)
    assert SettleTask("mapped", S.SKIPPED, "mapped over an empty input") in actions
    assert any(isinstance(a, SettleTask) and a.task_id == "reduce" and a.state is S.SKIPPED for a in actions)
    assert FinishRun(RunState.SUCCESS) in actions


def test_a_failed_producer_leaves_the_mapped_task_upstream_failed_unexpanded():
    actions = plan(snapshot(PIPELINE, TaskInstanceView("produce", S.FAILED, 2)), now=NOW)
    settles = {(a.task_id, a.map_index): a.state for a in actions if isinstance(a, SettleTask)}
    assert settles == {("mapped", -1): S.UPSTREAM_FAILED, ("reduce", -1): S.UPSTREAM_FAILED}
    assert not any(isinstance(a, ExpandTask) for a in actions)


def test_a_reduce_waits_for_every_instance():
    actions = plan(snapshot(PIPELINE, produced(3), *expanded("mapped", S.SUCCESS, S.RUNNING, S.SUCCESS)), now=NOW)
    assert actions == []
    done = snapshot(PIPELINE, produced(3), *expanded("mapped", S.SUCCESS, S.SUCCESS, S.SUCCESS))
    assert enqueued(plan(done, now=NOW)) == [("reduce", -1)]


@pytest.mark.parametrize(("rule", "verdict"), [
    (TriggerRule.ALL_SUCCESS, S.UPSTREAM_FAILED), (TriggerRule.ALL_DONE, None), (TriggerRule.ONE_FAILED, None),
    (TriggerRule.NONE_FAILED, S.UPSTREAM_FAILED),
])
def test_trigger_rules_count_every_mapped_instance(rule, verdict):
    spec = dag(task("produce", down="mapped"), task("mapped", up="produce", down="after", mapped=FROM_PRODUCER),
               task("after", up="mapped", rule=rule))
    actions = plan(snapshot(spec, produced(3), *expanded("mapped", S.SUCCESS, S.FAILED, S.SUCCESS)), now=NOW)
    settles = {a.task_id: a.state for a in actions if isinstance(a, SettleTask)}
    if verdict is None:
        assert enqueued(actions) == [("after", -1)]
    else:
        assert settles == {"after": verdict}
        assert FinishRun(RunState.FAILED) in actions


def test_a_failed_instance_of_a_mapped_leaf_fails_the_run():
    states = {"produce": S.SUCCESS, "mapped#0": S.SUCCESS, "mapped#1": S.FAILED}
    leaf = dag(task("produce", down="mapped"), task("mapped", up="produce", mapped=FROM_PRODUCER))
    assert run_outcome(leaf, states) is RunState.FAILED
    assert run_outcome(leaf, {**states, "mapped#1": S.SKIPPED}) is RunState.SUCCESS
    assert run_outcome(leaf, {**states, "mapped#1": S.RUNNING}) is None


def test_instances_respect_max_active_tasks():
    spec = replace(PIPELINE, max_active_tasks=2)
    actions = plan(snapshot(spec, produced(5)), now=NOW)
    assert enqueued(actions) == [("mapped", 0), ("mapped", 1)]
    later = snapshot(spec, produced(5), *expanded("mapped", S.SUCCESS, S.SUCCESS, S.NONE, S.NONE, S.NONE))
    assert enqueued(plan(later, now=NOW)) == [("mapped", 2), ("mapped", 3)]


def test_second_order_length_counts_instances_that_returned_a_value():
    spec = dag(task("produce", down="first"), task("first", up="produce", down="second", mapped=FROM_PRODUCER),
               task("second", up="first", mapped=MapSpec((MapInput("x", task_id="first"),))))
    views = expanded("first", S.SUCCESS, S.SUCCESS, S.SUCCESS, map_lengths=(1, 0, 1))
    actions = plan(snapshot(spec, produced(3), *views), now=NOW)
    assert ExpandTask("second", 2) in actions
    assert enqueued(actions) == [("second", 0), ("second", 1)]


def test_a_mapped_task_group_pairs_instances_by_map_index():
    group = MapSpec((MapInput("x", length=2),), group="g")
    spec = dag(task("g.one", down="g.two", mapped=group), task("g.two", up="g.one", down="after", mapped=group),
               task("after", up="g.two"))
    first = plan(snapshot(spec), now=NOW)
    assert ExpandTask("g.one", 2) in first and enqueued(first) == [("g.one", 0), ("g.one", 1)]
    # g.two expands as soon as g.one has; its instance 1 runs when g.one[1] is done, whatever g.one[0] does.
    state = snapshot(spec, *expanded("g.one", S.RUNNING, S.SUCCESS))
    actions = plan(state, now=NOW)
    assert ExpandTask("g.two", 2) in actions
    assert enqueued(actions) == [("g.two", 1)]
    failed = plan(snapshot(spec, *expanded("g.one", S.FAILED, S.SUCCESS), *expanded("g.two", S.NONE, S.SUCCESS)),
                  now=NOW)
    settles = {(a.task_id, a.map_index): a.state for a in failed if isinstance(a, SettleTask)}
    assert settles == {("g.two", 0): S.UPSTREAM_FAILED, ("after", -1): S.UPSTREAM_FAILED}


def test_a_branch_skip_reaches_every_waiting_instance():
    state = snapshot(PIPELINE, produced(2), *expanded("mapped", S.RUNNING, S.NONE))
    skips = branch_skips(state, ["mapped"])
    assert [(s.task_id, s.map_index) for s in skips] == [("mapped", 1)]


def test_dagrun_timeout_skips_unfinished_instances():
    spec = replace(PIPELINE, dagrun_timeout=60.0)
    state = replace(snapshot(spec, produced(2), *expanded("mapped", S.SUCCESS, S.RUNNING)),
                    start_date=datetime(2024, 6, 1, 11, 0, tzinfo=UTC))
    actions = plan(state, now=NOW)
    assert {(a.task_id, a.map_index) for a in actions if isinstance(a, SettleTask)} == {("mapped", 1), ("reduce", -1)}
    assert FinishRun(RunState.FAILED, "timed out after 60s") in actions


def test_the_spec_round_trips_its_mapping():
    spec = dag(task("a", mapped=MapSpec((MapInput("x", length=3), MapInput("y", task_id="p")), group="g")))
    assert DagSpec.from_dict(spec.to_dict()) == spec
