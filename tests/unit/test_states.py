"""Task-instance and run states: Airflow's names and the finished flags."""

from __future__ import annotations

import pytest

from chalicelib.core.states import FAILED_STATES, SUCCESS_STATES, RunState, TaskState

S = TaskState


def test_finished_task_states_match_airflow():
    # airflow.utils.state.State.finished
    assert {s for s in TaskState if s.finished} == {S.SUCCESS, S.FAILED, S.SKIPPED, S.UPSTREAM_FAILED, S.REMOVED}


@pytest.mark.parametrize("state", [S.NONE, S.SCHEDULED, S.QUEUED, S.RUNNING, S.UP_FOR_RETRY, S.UP_FOR_RESCHEDULE])
def test_unfinished_task_states(state):
    assert not state.finished


def test_run_states_finished_flags():
    assert RunState.SUCCESS.finished and RunState.FAILED.finished
    assert not RunState.QUEUED.finished and not RunState.RUNNING.finished


def test_leaf_state_groups_decide_run_outcome_like_airflow():
    assert FAILED_STATES == {S.FAILED, S.UPSTREAM_FAILED}
    assert SUCCESS_STATES == {S.SUCCESS, S.SKIPPED}


def test_states_use_airflow_names_and_print_as_them():
    assert str(S.UP_FOR_RETRY) == "up_for_retry" and S("upstream_failed") is S.UPSTREAM_FAILED
    assert str(RunState.SUCCESS) == "success"
