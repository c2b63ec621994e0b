"""Airflow's trigger rules: given the states of a task's direct upstream tasks, run it, wait, or settle it.

The verdicts follow Airflow's TriggerRuleDep: a task whose rule can no longer be met is settled at once
(SKIPPED or UPSTREAM_FAILED) even while other upstream tasks are still running, which is how skips and
failures propagate down the graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from chalicelib.core.states import TaskState


class TriggerRule(str, Enum):
    ALL_SUCCESS = "all_success"
    ALL_FAILED = "all_failed"
    ALL_DONE = "all_done"
    ALL_DONE_MIN_ONE_SUCCESS = "all_done_min_one_success"
    ALL_DONE_SETUP_SUCCESS = "all_done_setup_success"  # a teardown's: all done, and a setup succeeded
    ALL_SKIPPED = "all_skipped"
    ONE_SUCCESS = "one_success"
    ONE_FAILED = "one_failed"
    ONE_DONE = "one_done"
    NONE_FAILED = "none_failed"
    NONE_FAILED_MIN_ONE_SUCCESS = "none_failed_min_one_success"
    NONE_SKIPPED = "none_skipped"
    ALWAYS = "always"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: str | TriggerRule) -> TriggerRule:
        if isinstance(value, TriggerRule):
            return value
        name = str(value)
        name = _ALIASES.get(name, name)
        try:
            return cls(name)
        except ValueError:
            known = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown trigger_rule {value!r}; expected one of: {known}") from None


# Older spellings Airflow still accepts.
_ALIASES = {"none_failed_or_skipped": "none_failed_min_one_success", "dummy": "always"}


class Verdict(str, Enum):
    WAIT = "wait"  # not yet decidable, or not met yet
    RUN = "run"
    SKIP = "skip"  # settle as SKIPPED
    UPSTREAM_FAILED = "upstream_failed"  # settle as UPSTREAM_FAILED


@dataclass(frozen=True)
class UpstreamCounts:
    total: int
    success: int = 0
    skipped: int = 0
    failed: int = 0
    upstream_failed: int = 0
    removed: int = 0
    setup: int = 0  # of the upstream tasks, how many are setup tasks
    setup_success: int = 0
    setup_skipped: int = 0

    @classmethod
    def of(cls, states: Iterable[TaskState], setup_states: Iterable[TaskState] = ()) -> UpstreamCounts:
        states = list(states)
        setup_states = list(setup_states)
        return cls(
            total=len(states),
            success=states.count(TaskState.SUCCESS),
            skipped=states.count(TaskState.SKIPPED),
            failed=states.count(TaskState.FAILED),
            upstream_failed=states.count(TaskState.UPSTREAM_FAILED),
            removed=states.count(TaskState.REMOVED),
            setup=len(setup_states),
            setup_success=setup_states.count(TaskState.SUCCESS),
            setup_skipped=setup_states.count(TaskState.SKIPPED),
        )

    @property
    def done(self) -> int:
        return self.success + self.skipped + self.failed + self.upstream_failed + self.removed

    @property
    def all_done(self) -> bool:
        return self.done >= self.total

    @property
    def any_failed(self) -> bool:
        return bool(self.failed or self.upstream_failed)


def evaluate(rule: TriggerRule, up: UpstreamCounts) -> Verdict:
    """What to do with a task whose direct upstream tasks are in the states counted by `up`."""
    if up.total == 0:
        return Verdict.RUN
    settled = _settle(rule, up)
    if settled is not None:
        return settled
    return Verdict.RUN if _met(rule, up) else Verdict.WAIT


def _settle(rule: TriggerRule, up: UpstreamCounts) -> Verdict | None:
    R = TriggerRule
    if rule is R.ALL_SUCCESS:
        if up.any_failed:
            return Verdict.UPSTREAM_FAILED
        if up.skipped:
            return Verdict.SKIP
    elif rule is R.ALL_FAILED:
        if up.success or up.skipped:
            return Verdict.SKIP
    elif rule is R.ALL_SKIPPED:
        if up.success or up.any_failed:
            return Verdict.SKIP
    elif rule is R.ONE_SUCCESS:
        if up.all_done and up.done == up.skipped:
            return Verdict.SKIP
        if up.all_done and not up.success:
            return Verdict.UPSTREAM_FAILED
    elif rule is R.ONE_FAILED:
        if up.all_done and not up.any_failed:
            return Verdict.SKIP
    elif rule is R.ONE_DONE:
        if up.all_done and not (up.failed or up.success):
            return Verdict.SKIP
    elif rule is R.NONE_FAILED:
        if up.any_failed:
            return Verdict.UPSTREAM_FAILED
    elif rule is R.NONE_FAILED_MIN_ONE_SUCCESS:
        if up.any_failed:
            return Verdict.UPSTREAM_FAILED
        if up.skipped == up.total:
            return Verdict.SKIP
        if up.all_done and not up.success:
            return Verdict.UPSTREAM_FAILED
    elif rule is R.ALL_DONE_SETUP_SUCCESS:
        # A teardown: skipped when all its setups were skipped, upstream_failed when none succeeded.
        if up.all_done and up.setup and up.setup_skipped >= up.setup:
            return Verdict.SKIP
        if up.all_done and up.setup and up.setup_success == 0:
            return Verdict.UPSTREAM_FAILED
    elif rule is R.ALL_DONE_MIN_ONE_SUCCESS:
        # Skipped upstreams do not count as done for this rule: any skip skips it.
        if up.skipped:
            return Verdict.SKIP
        if up.success + up.failed + up.upstream_failed + up.removed >= up.total and not up.success:
            return Verdict.UPSTREAM_FAILED
    elif rule is R.NONE_SKIPPED:
        if up.skipped:
            return Verdict.SKIP
    return None


def _met(rule: TriggerRule, up: UpstreamCounts) -> bool:
    R = TriggerRule
    if rule is R.ALWAYS:
        return True
    if rule is R.ALL_SUCCESS:
        return up.success + up.removed >= up.total
    if rule is R.ALL_FAILED:
        return up.failed + up.upstream_failed + up.removed >= up.total
    if rule is R.ALL_SKIPPED:
        return up.skipped >= up.total  # Airflow counts a REMOVED upstream as not skipped
    if rule in (R.ALL_DONE, R.ALL_DONE_SETUP_SUCCESS):
        return up.all_done
    if rule is R.ALL_DONE_MIN_ONE_SUCCESS:
        return not up.skipped and up.success + up.failed + up.upstream_failed >= up.total - up.removed and up.success > 0
    if rule is R.ONE_SUCCESS:
        return up.success > 0
    if rule is R.ONE_FAILED:
        return up.any_failed
    if rule is R.ONE_DONE:
        return bool(up.success or up.failed)
    if rule is R.NONE_FAILED:
        return up.success + up.skipped + up.removed >= up.total
    if rule is R.NONE_FAILED_MIN_ONE_SUCCESS:
        return up.success + up.skipped + up.removed >= up.total and up.success > 0
    if rule is R.NONE_SKIPPED:
        return up.all_done and not up.skipped
    raise AssertionError(f"unhandled trigger rule {rule}")
