"""Task-instance states, their allowed moves and the finished flags."""

from __future__ import annotations

import pytest

from chalicelib.core.states import (
    ALLOWED_TASK_TRANSITIONS,
    FAILED_STATES,
    SUCCESS_STATES,
    IllegalTransition,
    RunState,
    TaskState,
    check_transition,
)

S = TaskState

ALLOWED = [
    (S.NONE, S.QUEUED),  # the planner enqueues a ready task
    (S.NONE, S.SKIPPED),  # a trigger rule or a branch skips it
    (S.NONE, S.UPSTREAM_FAILED),
    (S.SCHEDULED, S.QUEUED),
    (S.QUEUED, S.RUNNING),  # a worker claims it
    (S.RUNNING, S.SUCCESS),
    (S.RUNNING, S.FAILED),
    (S.RUNNING, S.SKIPPED),
    (S.RUNNING, S.UP_FOR_RETRY),
    (S.RUNNING, S.UP_FOR_RESCHEDULE),
    (S.UP_FOR_RETRY, S.QUEUED),  # the retry is due
    (S.UP_FOR_RESCHEDULE, S.QUEUED),
    (S.RUNNING, S.NONE),  # cleared while running
    (S.SUCCESS, S.NONE),  # cleared by a user
    (S.FAILED, S.NONE),
    (S.FAILED, S.SUCCESS),  # marked success by a user
    (S.SUCCESS, S.FAILED),
    (S.UPSTREAM_FAILED, S.NONE),
]

FORBIDDEN = [
    (S.NONE, S.RUNNING),  # never run without being queued and claimed
    (S.NONE, S.SUCCESS),
    (S.SCHEDULED, S.RUNNING),
    (S.QUEUED, S.SUCCESS),  # a try must run before it succeeds
    (S.SUCCESS, S.RUNNING),  # a finished task does not run again unless cleared
    (S.SUCCESS, S.QUEUED),
    (S.FAILED, S.QUEUED),
    (S.FAILED, S.UP_FOR_RETRY),
    (S.SKIPPED, S.RUNNING),
    (S.UP_FOR_RETRY, S.RUNNING),  # a retry re-enters through QUEUED
    (S.UP_FOR_RESCHEDULE, S.RUNNING),
    (S.REMOVED, S.QUEUED),
    (S.REMOVED, S.SUCCESS),
]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed_transitions(current, target):
    check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_forbidden_transitions_raise_naming_both_states(current, target):
    with pytest.raises(IllegalTransition) as info:
        check_transition(current, target)
    assert info.value.current is current and info.value.target is target
    message = str(info.value)
    assert current.value in message and target.value in message
    assert message.index(current.value) < message.index(target.value)


def test_illegal_transition_is_a_value_error():
    with pytest.raises(ValueError):
        check_transition(S.SUCCESS, S.RUNNING)


def test_every_state_has_a_transition_table():
    assert set(ALLOWED_TASK_TRANSITIONS) == set(TaskState)
    for targets in ALLOWED_TASK_TRANSITIONS.values():
        assert targets <= set(TaskState)


def test_only_a_queued_task_can_start_running():
    starters = {s for s, targets in ALLOWED_TASK_TRANSITIONS.items() if S.RUNNING in targets}
    assert starters == {S.QUEUED, S.RUNNING}  # RUNNING -> RUNNING is a heartbeat re-write


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
