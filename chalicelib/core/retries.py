"""What a failed try becomes (retry or failed) and when the retry is due.

Backoff follows Airflow 3's shape: with multiplier m (`retry_exponential_backoff`, True meaning 2) the n-th retry
waits `retry_delay * m**(n-1)` seconds plus a deterministic jitter of up to the same amount again, capped by one
day and then by `max_retry_delay`. The jitter is a hash of the task instance and try, so every process computes
the same due time; tests can turn it off.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.core.spec import RetryPolicy
from chalicelib.core.states import TaskState

MAX_RETRY_DELAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class FailureVerdict:
    state: TaskState  # UP_FOR_RETRY or FAILED
    next_retry_at: datetime | None = None


def retry_delay_seconds(policy: RetryPolicy, *, try_number: int, seed: str = "", jitter: bool = True) -> float:
    """Seconds to wait after try `try_number` (1-based) failed."""
    multiplier = backoff_multiplier(policy.retry_exponential_backoff)
    if multiplier is None:
        return float(policy.retry_delay)  # like Airflow, max_retry_delay only caps a backoff
    try:
        min_backoff = max(1, math.ceil(policy.retry_delay * multiplier ** max(try_number - 1, 0)))
    except OverflowError:
        min_backoff = MAX_RETRY_DELAY_SECONDS
    delay = float(min_backoff)
    if jitter:
        digest = hashlib.sha1(f"{seed}#{try_number}".encode()).hexdigest()
        delay += int(digest, 16) % min_backoff
    delay = min(delay, MAX_RETRY_DELAY_SECONDS)
    if policy.max_retry_delay:  # Airflow ignores a zero max_retry_delay
        delay = min(delay, float(policy.max_retry_delay))
    return delay


def backoff_multiplier(value: float | bool) -> float | None:
    """The backoff multiplier, or None for a constant delay (Airflow: 0, 1 and negatives; True is 2.0)."""
    multiplier = 2.0 if value is True else float(value or 0)
    return multiplier if multiplier > 0 and multiplier != 1.0 else None


def after_failure(
    policy: RetryPolicy,
    *,
    try_number: int,
    max_tries: int | None = None,
    retryable: bool = True,
    failed_at: datetime,
    seed: str = "",
    jitter: bool = True,
) -> FailureVerdict:
    """A try failed: retry it later if it has tries left and the failure allows it, else fail for good.

    `max_tries` is the number of retries granted so far (the task's `retries`, raised when a user clears a
    finished task); like Airflow, try `n` may retry while `n <= max_tries`.
    """
    allowed = policy.retries if max_tries is None else max_tries
    if not retryable or try_number > allowed:
        return FailureVerdict(TaskState.FAILED)
    delay = retry_delay_seconds(policy, try_number=try_number, seed=seed, jitter=jitter)
    return FailureVerdict(TaskState.UP_FOR_RETRY, failed_at + timedelta(seconds=delay))
