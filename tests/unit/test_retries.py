"""What a failed try becomes, and when its retry is due (Airflow 3.3.2: TaskInstance.next_retry_datetime and
the execution API's `_is_eligible_to_retry`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.retries import (
    MAX_RETRY_DELAY_SECONDS,
    FailureVerdict,
    after_failure,
    retry_delay_seconds,
)
from chalicelib.core.spec import RetryPolicy
from chalicelib.core.states import TaskState

FAILED_AT = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def verdict(policy: RetryPolicy, try_number: int, **kwargs) -> FailureVerdict:
    return after_failure(policy, try_number=try_number, failed_at=FAILED_AT, jitter=False, **kwargs)


# --- retry or fail ----------------------------------------------------------------------------------


def test_no_retries_fails_at_once():
    assert verdict(RetryPolicy(retries=0), 1) == FailureVerdict(TaskState.FAILED)


def test_each_try_up_to_retries_is_retried_after_retry_delay():
    policy = RetryPolicy(retries=2, retry_delay=30)
    for try_number in (1, 2):
        assert verdict(policy, try_number) == FailureVerdict(TaskState.UP_FOR_RETRY, FAILED_AT + timedelta(seconds=30))


def test_retries_are_exhausted_once_try_number_exceeds_retries():
    # retries=2 means three tries in all: the third failure is final.
    assert verdict(RetryPolicy(retries=2, retry_delay=30), 3) == FailureVerdict(TaskState.FAILED)


def test_a_non_retryable_failure_fails_even_with_retries_left():
    assert verdict(RetryPolicy(retries=5), 1, retryable=False) == FailureVerdict(TaskState.FAILED)


def test_max_tries_of_a_cleared_task_overrides_retries():
    # Airflow's clear raises max_tries to try_number + retries: a task that used its 2 tries gets 1 more.
    policy = RetryPolicy(retries=1, retry_delay=10)
    assert verdict(policy, 2).state is TaskState.FAILED
    assert verdict(policy, 3, max_tries=3).state is TaskState.UP_FOR_RETRY
    assert verdict(policy, 4, max_tries=3).state is TaskState.FAILED


def test_max_tries_zero_never_retries():
    assert verdict(RetryPolicy(retries=3), 1, max_tries=0).state is TaskState.FAILED


# --- constant delay ---------------------------------------------------------------------------------


def test_constant_delay_ignores_max_retry_delay_like_airflow():
    # Airflow applies max_retry_delay only inside the exponential-backoff branch.
    policy = RetryPolicy(retries=1, retry_delay=600, max_retry_delay=60)
    assert retry_delay_seconds(policy, try_number=1) == 600


@pytest.mark.parametrize("multiplier", [False, 0, 1, 1.0, -2])
def test_multipliers_that_mean_constant_delay(multiplier):
    policy = RetryPolicy(retries=5, retry_delay=10, retry_exponential_backoff=multiplier)
    assert [retry_delay_seconds(policy, try_number=n, seed="s") for n in (1, 2, 3)] == [10, 10, 10]


# --- exponential backoff ----------------------------------------------------------------------------

BACKOFF = RetryPolicy(retries=10, retry_delay=10, retry_exponential_backoff=True)


@pytest.mark.parametrize("try_number", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("seed", ["d#t#run1", "d#t#run2", "other#x#y", ""])
def test_backoff_stays_within_airflow_bounds(try_number, seed):
    base = 10 * 2 ** (try_number - 1)
    delay = retry_delay_seconds(BACKOFF, try_number=try_number, seed=seed)
    assert base <= delay < 2 * base


def test_backoff_jitter_is_deterministic_per_seed_and_varies_across_seeds():
    first = [retry_delay_seconds(BACKOFF, try_number=3, seed=f"d#t#run{i}") for i in range(20)]
    second = [retry_delay_seconds(BACKOFF, try_number=3, seed=f"d#t#run{i}") for i in range(20)]
    assert first == second
    assert len(set(first)) > 1


def test_backoff_without_jitter_is_exact():
    assert [retry_delay_seconds(BACKOFF, try_number=n, jitter=False) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]


def test_backoff_multiplier_is_airflow_3s_float():
    # Airflow 3: retry_delay=4min, retry_exponential_backoff=5 -> 4, 20, 100 minutes (before jitter).
    policy = RetryPolicy(retries=3, retry_delay=240, retry_exponential_backoff=5)
    assert [retry_delay_seconds(policy, try_number=n, jitter=False) for n in (1, 2, 3)] == [240, 1200, 6000]


def test_backoff_of_a_sub_second_delay_is_at_least_one_second():
    policy = RetryPolicy(retries=3, retry_delay=0, retry_exponential_backoff=True)
    assert retry_delay_seconds(policy, try_number=1, jitter=False) == 1


def test_backoff_is_capped_by_max_retry_delay():
    policy = RetryPolicy(retries=10, retry_delay=10, retry_exponential_backoff=True, max_retry_delay=45)
    assert [retry_delay_seconds(policy, try_number=n, jitter=False) for n in (1, 2, 3, 4)] == [10, 20, 40, 45]
    assert all(retry_delay_seconds(policy, try_number=n, seed="x") <= 45 for n in range(1, 10))


def test_backoff_is_capped_at_one_day():
    policy = RetryPolicy(retries=100, retry_delay=3600, retry_exponential_backoff=True)
    assert retry_delay_seconds(policy, try_number=10, seed="x") == MAX_RETRY_DELAY_SECONDS == 24 * 3600


def test_backoff_does_not_overflow_after_very_many_tries():
    policy = RetryPolicy(retries=5000, retry_delay=300, retry_exponential_backoff=True)
    assert retry_delay_seconds(policy, try_number=4000, seed="x") == MAX_RETRY_DELAY_SECONDS


def test_after_failure_dates_the_retry_with_the_backoff():
    result = after_failure(BACKOFF, try_number=3, failed_at=FAILED_AT, seed="d#t#r", jitter=True)
    expected = retry_delay_seconds(BACKOFF, try_number=3, seed="d#t#r")
    assert result == FailureVerdict(TaskState.UP_FOR_RETRY, FAILED_AT + timedelta(seconds=expected))
    assert 40 <= expected < 80
