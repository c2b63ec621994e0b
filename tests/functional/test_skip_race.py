"""A skip requested by a short-circuit wins over a downstream task another upstream queued meanwhile, as
long as that task has not started: Airflow's batch semantics, made deterministic by choosing the order."""

from __future__ import annotations

from pathlib import Path

from tests.functional.harness import Stack

DAG = '''
import pendulum
from airflow.sdk import dag, task
from airflow.providers.standard.operators.empty import EmptyOperator

@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def skip_race():
    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def gate():
        return False

    @task
    def other():
        return 1

    fan_in = EmptyOperator(task_id="fan_in", trigger_rule="one_success")
    [gate(), other()] >> fan_in

skip_race()
'''


def _handle(stack: Stack, first: str) -> list[str]:
    """Handle every waiting message, the task named `first` before the others; the task ids handled."""
    from chalicelib.services.task_consumer import handle_message
    from chalicelib.taskqueue import TaskMessage

    messages = stack.queue.receive(max_messages=10, wait_seconds=0)
    messages.sort(key=lambda m: TaskMessage.from_json(m["Body"]).task_id != first)
    handled = []
    for message in messages:
        handle_message(stack.backend, stack.dags, message["Body"])
        stack.queue.delete(message["ReceiptHandle"])
        handled.append(TaskMessage.from_json(message["Body"]).task_id)
    return handled


def test_short_circuit_takes_back_a_task_queued_after_it_started(backend, tmp_path: Path) -> None:
    (tmp_path / "skip_race.py").write_text(DAG)
    stack = Stack(backend, tmp_path)
    stack.sync()
    run = stack.trigger("skip_race")
    # `other` finishes first and queues fan_in (one_success is met); then `gate` asks to skip fan_in.
    assert _handle(stack, "other") == ["other", "gate"]
    stack.drain()  # fan_in's message finds it skipped: nothing runs
    assert stack.states("skip_race", run.run_id) == {
        "gate": ("success", 1), "other": ("success", 1), "fan_in": ("skipped", 0)}
    assert backend.runs.get("skip_race", run.run_id).state.value == "success"


def test_a_task_queued_beside_the_short_circuit_is_not_taken_back(backend, tmp_path: Path) -> None:
    """`always` tasks are queued with the roots (their rule is met at once); a skip cannot recall them."""
    (tmp_path / "skip_race.py").write_text(DAG.replace('trigger_rule="one_success"', 'trigger_rule="always"'))
    stack = Stack(backend, tmp_path)
    stack.sync()
    run = stack.trigger("skip_race")
    assert sorted(_handle(stack, "gate")) == ["fan_in", "gate", "other"]
    stack.drain()
    assert stack.states("skip_race", run.run_id)["fan_in"] == ("success", 1)
