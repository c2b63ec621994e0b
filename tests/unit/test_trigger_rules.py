"""Trigger rules against an oracle written from Airflow 3.3.2's TriggerRuleDep (ti_deps/deps/trigger_rule_dep.py).

The oracle mirrors the two halves of `_evaluate_direct_relatives`: with `flag_upstream_failed` the task is
settled (SKIPPED / UPSTREAM_FAILED) as soon as its rule can no longer be met; otherwise the dep passes
(run) or fails (wait). Tasks without setups, unmapped, so the setup and mapping branches do not apply.
"""

from __future__ import annotations

from itertools import combinations_with_replacement

import pytest

from chalicelib.core.states import TaskState
from chalicelib.core.trigger_rules import TriggerRule, UpstreamCounts, Verdict, evaluate

S = TaskState
R = TriggerRule
NOT_DONE = S.RUNNING  # any unfinished state: Airflow only counts finished upstream task instances
STATES = (S.SUCCESS, S.FAILED, S.SKIPPED, S.UPSTREAM_FAILED, NOT_DONE)
FINISHED = {S.SUCCESS, S.FAILED, S.SKIPPED, S.UPSTREAM_FAILED, S.REMOVED}


def airflow_verdict(rule: TriggerRule, states: tuple[TaskState, ...]) -> Verdict:
    upstream = len(states)
    if upstream == 0 or rule is R.ALWAYS:
        return Verdict.RUN
    success = states.count(S.SUCCESS)
    skipped = states.count(S.SKIPPED)
    failed = states.count(S.FAILED)
    upstream_failed = states.count(S.UPSTREAM_FAILED)
    removed = states.count(S.REMOVED)
    done = sum(1 for s in states if s in FINISHED)
    upstream_done = done >= upstream

    new_state = None
    if rule is R.ALL_SUCCESS:
        if upstream_failed or failed:
            new_state = S.UPSTREAM_FAILED
        elif skipped:
            new_state = S.SKIPPED
    elif rule is R.ALL_FAILED:
        if success or skipped:
            new_state = S.SKIPPED
    elif rule is R.ONE_SUCCESS:
        if upstream_done and done == skipped:
            new_state = S.SKIPPED
        elif upstream_done and success <= 0:
            new_state = S.UPSTREAM_FAILED
    elif rule is R.ONE_FAILED:
        if upstream_done and not (failed or upstream_failed):
            new_state = S.SKIPPED
    elif rule is R.ONE_DONE:
        if upstream_done and not (failed or success):
            new_state = S.SKIPPED
    elif rule is R.NONE_FAILED:
        if upstream_failed or failed:
            new_state = S.UPSTREAM_FAILED
    elif rule is R.NONE_FAILED_MIN_ONE_SUCCESS:
        if upstream_failed or failed:
            new_state = S.UPSTREAM_FAILED
        elif skipped == upstream:
            new_state = S.SKIPPED
        elif upstream_done and success == 0:
            new_state = S.UPSTREAM_FAILED
    elif rule is R.NONE_SKIPPED:
        if skipped:
            new_state = S.SKIPPED
    elif rule is R.ALL_SKIPPED:
        if success or failed or upstream_failed:
            new_state = S.SKIPPED
    elif rule is R.ALL_DONE_MIN_ONE_SUCCESS:
        if skipped > 0:
            new_state = S.SKIPPED
        elif success + failed + upstream_failed + removed >= upstream - skipped and success == 0:
            new_state = S.UPSTREAM_FAILED
    # ALL_DONE_SETUP_SUCCESS only settles when there are upstream setups; Levante has none.
    if new_state is S.SKIPPED:
        return Verdict.SKIP
    if new_state is S.UPSTREAM_FAILED:
        return Verdict.UPSTREAM_FAILED

    met = {
        R.ONE_SUCCESS: success > 0,
        R.ONE_FAILED: bool(failed or upstream_failed),
        R.ONE_DONE: success + failed > 0,
        R.ALL_SUCCESS: upstream - success - removed <= 0,
        R.ALL_FAILED: upstream - failed - upstream_failed - removed <= 0,
        R.ALL_DONE: upstream_done,
        R.NONE_FAILED: upstream - success - skipped - removed <= 0,
        R.NONE_FAILED_MIN_ONE_SUCCESS: upstream - success - skipped - removed <= 0 and success > 0,
        R.NONE_SKIPPED: upstream_done and skipped == 0,
        R.ALL_SKIPPED: upstream - skipped <= 0,
        R.ALL_DONE_SETUP_SUCCESS: upstream_done,
        R.ALL_DONE_MIN_ONE_SUCCESS: skipped == 0
        and success + failed + upstream_failed >= upstream - skipped - removed
        and success > 0,
    }[rule]
    return Verdict.RUN if met else Verdict.WAIT


def _multisets(states: tuple[TaskState, ...], up_to: int) -> list[tuple[TaskState, ...]]:
    return [combo for n in range(up_to + 1) for combo in combinations_with_replacement(states, n)]


CASES = [(rule, combo) for rule in TriggerRule for combo in _multisets(STATES, 3)]


def _verdict(rule: TriggerRule, states: tuple[TaskState, ...]) -> Verdict:
    return evaluate(rule, UpstreamCounts.of(states))


def test_the_enumeration_covers_every_rule_and_multiset():
    # 1 + 5 + 15 + 35 multisets of up to three upstream states, for each of the 13 rules.
    assert len(CASES) == 13 * 56


@pytest.mark.parametrize(
    ("rule", "states"), CASES, ids=[f"{r.value}-{'+'.join(s.value for s in c) or 'no_upstream'}" for r, c in CASES]
)
def test_matches_airflow(rule, states):
    assert _verdict(rule, states) is airflow_verdict(rule, states)


REMOVED_CASES = [
    (rule, combo)
    for rule in TriggerRule
    for combo in _multisets((S.SUCCESS, S.SKIPPED, S.FAILED, S.REMOVED, NOT_DONE), 2)
    if S.REMOVED in combo
]


@pytest.mark.parametrize(("rule", "states"), REMOVED_CASES)
def test_removed_upstreams_match_airflow(rule, states):
    assert _verdict(rule, states) is airflow_verdict(rule, states)


def test_all_skipped_does_not_count_removed_as_skipped():
    # Airflow: `upstream - skipped > 0` fails the dep, and REMOVED is not SKIPPED.
    assert _verdict(R.ALL_SKIPPED, (S.SKIPPED, S.REMOVED)) is Verdict.WAIT


# --- readable scenarios -----------------------------------------------------------------------------


def test_join_after_branch_runs_with_none_failed_min_one_success():
    # branch chose `a`; `b` was skipped by the branch. The join must run, not be skipped.
    assert _verdict(R.NONE_FAILED_MIN_ONE_SUCCESS, (S.SUCCESS, S.SKIPPED)) is Verdict.RUN


def test_join_after_branch_is_skipped_with_the_default_rule():
    # The classic Airflow pitfall: all_success turns one skipped branch into a skipped join.
    assert _verdict(R.ALL_SUCCESS, (S.SUCCESS, S.SKIPPED)) is Verdict.SKIP


def test_join_waits_while_the_chosen_branch_still_runs():
    assert _verdict(R.NONE_FAILED_MIN_ONE_SUCCESS, (NOT_DONE, S.SKIPPED)) is Verdict.WAIT


def test_all_done_cleanup_runs_after_a_failure():
    assert _verdict(R.ALL_DONE, (S.FAILED, S.SUCCESS, S.UPSTREAM_FAILED)) is Verdict.RUN


def test_all_done_cleanup_waits_for_every_upstream():
    assert _verdict(R.ALL_DONE, (S.FAILED, NOT_DONE)) is Verdict.WAIT


def test_failure_settles_all_success_at_once_even_while_others_run():
    assert _verdict(R.ALL_SUCCESS, (S.FAILED, NOT_DONE, NOT_DONE)) is Verdict.UPSTREAM_FAILED


def test_one_failed_alert_fires_on_the_first_failure():
    assert _verdict(R.ONE_FAILED, (S.FAILED, NOT_DONE)) is Verdict.RUN
    assert _verdict(R.ONE_FAILED, (S.SUCCESS, S.SUCCESS)) is Verdict.SKIP


def test_one_success_all_skipped_is_skipped_but_all_failed_is_upstream_failed():
    assert _verdict(R.ONE_SUCCESS, (S.SKIPPED, S.SKIPPED)) is Verdict.SKIP
    assert _verdict(R.ONE_SUCCESS, (S.FAILED, S.SKIPPED)) is Verdict.UPSTREAM_FAILED


def test_always_runs_even_with_nothing_finished():
    assert _verdict(R.ALWAYS, (NOT_DONE, S.FAILED)) is Verdict.RUN


def test_all_done_min_one_success_treats_a_skip_as_a_skip():
    assert _verdict(R.ALL_DONE_MIN_ONE_SUCCESS, (S.SUCCESS, S.SKIPPED)) is Verdict.SKIP
    assert _verdict(R.ALL_DONE_MIN_ONE_SUCCESS, (S.SUCCESS, S.FAILED)) is Verdict.RUN
    assert _verdict(R.ALL_DONE_MIN_ONE_SUCCESS, (S.FAILED, S.UPSTREAM_FAILED)) is Verdict.UPSTREAM_FAILED


@pytest.mark.parametrize("unfinished", [S.NONE, S.SCHEDULED, S.QUEUED, S.RUNNING, S.UP_FOR_RETRY, S.UP_FOR_RESCHEDULE])
def test_every_unfinished_state_counts_as_not_done(unfinished):
    assert _verdict(R.ALL_DONE, (S.SUCCESS, unfinished)) is Verdict.WAIT
    assert _verdict(R.ALL_SUCCESS, (S.SUCCESS, unfinished)) is Verdict.WAIT


# --- parsing ----------------------------------------------------------------------------------------


def test_parse_accepts_values_members_and_aliases():
    assert TriggerRule.parse("all_done") is R.ALL_DONE
    assert TriggerRule.parse(R.ONE_FAILED) is R.ONE_FAILED
    assert TriggerRule.parse("none_failed_or_skipped") is R.NONE_FAILED_MIN_ONE_SUCCESS
    assert TriggerRule.parse("dummy") is R.ALWAYS


def test_parse_error_names_the_bad_value_and_lists_the_valid_ones():
    with pytest.raises(ValueError) as info:
        TriggerRule.parse("all_sucess")
    message = str(info.value)
    assert "'all_sucess'" in message
    for rule in TriggerRule:
        assert rule.value in message
