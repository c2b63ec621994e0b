"""When a worker may take a hand-off (services/handoff.py): only early in its invocation, one at a time, never
while stopping, and never a task whose execution_timeout would outlast the worker's own timeout."""

from __future__ import annotations

from chalicelib.core.spec import TaskSpec
from chalicelib.services.handoff import Handoff
from chalicelib.store.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def handoff(clock: Clock, *, worker_timeout: int = 300, stop: str | None = None, **env: str) -> Handoff:
    settings = Settings.from_env({"LEVANTE_WORKER_TIMEOUT": str(worker_timeout), **env})
    return Handoff.start(settings, "host", "req", should_stop=lambda: stop, clock=clock)


def task(timeout: float | None = None) -> TaskSpec:
    return TaskSpec(task_id="t", operator="PythonOperator", execution_timeout=timeout)


def test_the_window_is_a_tenth_of_the_worker_timeout_at_most_a_minute():
    assert Settings.from_env({"LEVANTE_WORKER_TIMEOUT": "300"}).handoff_seconds == 30
    assert Settings.from_env({"LEVANTE_WORKER_TIMEOUT": "900"}).handoff_seconds == 60
    assert Settings.from_env({"LEVANTE_HANDOFF_SECONDS": "0"}).handoff_seconds == 0


def test_a_task_is_accepted_only_inside_the_window():
    clock = Clock()
    h = handoff(clock)
    assert h.accepts(task())
    clock.now += 29.9
    assert h.accepts(task())
    clock.now += 0.1
    assert not h.accepts(task())


def test_an_execution_timeout_must_fit_in_what_is_left_of_the_worker_timeout():
    clock = Clock()
    h = handoff(clock)
    clock.now += 20
    assert h.accepts(task(280))
    assert not h.accepts(task(281))


def test_nothing_is_accepted_while_stopping_or_turned_off_or_with_one_already_taken():
    clock = Clock()
    assert not handoff(clock, stop="SIGTERM").accepts(task())
    assert not handoff(clock, LEVANTE_HANDOFF_SECONDS="0").accepts(task())
    h = handoff(clock)
    h.taken = object()  # type: ignore[assignment]
    assert not h.accepts(task())


def test_a_rule_that_may_fire_before_every_upstream_is_done_is_never_handed_off():
    from chalicelib.core.trigger_rules import TriggerRule

    h = handoff(Clock())
    assert h.accepts(TaskSpec(task_id="t", operator="PythonOperator", trigger_rule=TriggerRule.NONE_FAILED))
    assert not h.accepts(TaskSpec(task_id="t", operator="PythonOperator", trigger_rule=TriggerRule.ONE_SUCCESS))
