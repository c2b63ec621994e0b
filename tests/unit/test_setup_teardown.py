"""Setup and teardown tasks in the core: the teardown's trigger rule and which leaves decide the run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.core.graph import effective_leaves
from chalicelib.core.planner import FinishRun, RunSnapshot, SettleTask, TaskInstanceView, plan
from chalicelib.core.spec import DagSpec, TaskSpec
from chalicelib.core.states import RunState, TaskState
from chalicelib.core.trigger_rules import TriggerRule, UpstreamCounts, Verdict, evaluate

S = TaskState
NOW = datetime(2024, 6, 1, tzinfo=UTC)
TEARDOWN = TriggerRule.ALL_DONE_SETUP_SUCCESS


def dag(fail_dagrun: bool = False) -> DagSpec:
    """create_cluster (setup) >> work >> delete_cluster (teardown), create_cluster >> delete_cluster."""
    return DagSpec("st", "st.py", (
        TaskSpec("create", "EmptyOperator", downstream=("work", "delete"), is_setup=True),
        TaskSpec("work", "EmptyOperator", upstream=("create",), downstream=("delete",)),
        TaskSpec("delete", "EmptyOperator", upstream=("create", "work"), trigger_rule=TEARDOWN, is_teardown=True,
                 on_failure_fail_dagrun=fail_dagrun),
    ))


def outcome(spec: DagSpec, **states: S) -> tuple[dict[str, S], RunState | None]:
    tis = {t: TaskInstanceView(t, states.get(t, S.NONE), 1 if t in states else 0) for t in spec.task_ids}
    actions = plan(RunSnapshot(spec, tis, RunState.RUNNING, NOW), now=NOW)
    settled = {a.task_id: a.state for a in actions if isinstance(a, SettleTask)}
    finish = next((a.state for a in actions if isinstance(a, FinishRun)), None)
    return settled, finish


@pytest.mark.parametrize(("setup", "others", "verdict"), [
    ([S.SUCCESS], [S.FAILED], Verdict.RUN),  # work failed: the teardown still cleans up
    ([S.SKIPPED], [S.SKIPPED], Verdict.SKIP),  # every setup skipped
    ([S.FAILED], [S.UPSTREAM_FAILED], Verdict.UPSTREAM_FAILED),  # no setup succeeded
    ([S.SUCCESS, S.FAILED], [], Verdict.RUN),  # one setup is enough
    ([S.SUCCESS], [S.RUNNING], Verdict.WAIT),
])
def test_teardown_rule(setup, others, verdict):
    assert evaluate(TEARDOWN, UpstreamCounts.of(setup + others, setup)) is verdict


def test_failed_work_runs_the_teardown_and_fails_the_run():
    spec = dag()

    assert plan(RunSnapshot(spec, {"create": TaskInstanceView("create", S.SUCCESS, 1),
                                   "work": TaskInstanceView("work", S.FAILED, 1),
                                   "delete": TaskInstanceView("delete")}, RunState.RUNNING, NOW), now=NOW)[0].task_id == "delete"
    assert outcome(spec, create=S.SUCCESS, work=S.FAILED, delete=S.SUCCESS)[1] is RunState.FAILED


def test_a_failed_teardown_does_not_fail_the_run_unless_asked():
    assert effective_leaves(dag()) == ["work"]
    assert outcome(dag(), create=S.SUCCESS, work=S.SUCCESS, delete=S.FAILED)[1] is RunState.SUCCESS
    assert outcome(dag(fail_dagrun=True), create=S.SUCCESS, work=S.SUCCESS, delete=S.FAILED)[1] is RunState.FAILED
