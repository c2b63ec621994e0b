"""max_active_tis_per_dagrun and max_active_tis_per_dag through the distributed pieces: trigger, SQS, the
worker's whole-run plan after each try, and the scheduler tick that admits another run's waiting instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.functional.harness import Stack, write_dag

MAPPED = """
import pendulum
from airflow.sdk import DAG, task


with DAG("mapped_limit", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    @task(max_active_tis_per_dagrun=2)
    def double(x):
        return 2 * x

    @task
    def total(values):
        return sum(values)

    total(double.expand(x=[1, 2, 3, 4, 5, 6]))
"""

ACROSS_RUNS = """
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator


with DAG("across_runs", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), max_active_runs=3):
    EmptyOperator(task_id="load", max_active_tis_per_dag=1)
"""


@pytest.fixture
def stack(backend, tmp_path: Path) -> Stack:
    return Stack(backend, tmp_path)


def active(stack: Stack, dag_id: str, run_id: str, task_id: str) -> int:
    return sum(1 for i in stack.backend.runs.instances(dag_id, run_id)
               if i.task_id == task_id and i.state in ("queued", "running"))


@pytest.mark.usefixtures("queue_only")  # the scenario is about this task's message
def test_mapped_instances_run_at_most_max_active_tis_per_dagrun_at_once(stack):
    from chalicelib.services.queue_poller import process_batch

    write_dag(stack.folder_path, "mapped_limit", MAPPED)
    stack.sync()
    run = stack.trigger("mapped_limit")
    seen = []
    while process_batch(stack.backend, stack.dags, stack.queue, wait_seconds=0, max_messages=1):
        seen.append(active(stack, "mapped_limit", run.run_id, "double"))

    assert max(seen) == 2, seen  # the limit is reached, never passed
    assert stack.backend.runs.get("mapped_limit", run.run_id).state.value == "success"
    assert stack.states("mapped_limit", run.run_id)["total"] == ("success", 1)


def test_max_active_tis_per_dag_holds_a_second_runs_instance_until_the_first_ends(stack):
    write_dag(stack.folder_path, "across_runs", ACROSS_RUNS)
    stack.sync()
    first, second = stack.trigger("across_runs"), stack.trigger("across_runs")

    assert active(stack, "across_runs", first.run_id, "load") == 1
    assert stack.states("across_runs", second.run_id)["load"] == ("none", 0)

    stack.drain()  # the first run's instance
    assert stack.states("across_runs", second.run_id)["load"] == ("none", 0)
    stack.tick()  # the scheduler sees the slot free
    stack.drain()

    for run in (first, second):
        assert stack.backend.runs.get("across_runs", run.run_id).state.value == "success"
