"""`prev_*_success` in the task context (Airflow 3: the latest earlier logical date among the DAG's successful
runs, looked up lazily through the Execution API; here through the store), rendered in a template and read by
a callable, across three runs of which the middle one fails."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.functional.harness import Stack, write_dag

DAG_FILE = """
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator


def read(ds, **context):
    if ds == "2024-01-02":
        raise ValueError("the middle run fails")
    previous = context["prev_start_date_success"]
    return previous.isoformat() if previous else None  # a lazy proxy, as in Airflow: never `is None`, falsy when empty


with DAG("incremental", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False):
    BashOperator(task_id="render", bash_command="echo since={{ prev_data_interval_end_success }}",
                 do_xcom_push=True) >> PythonOperator(task_id="read", python_callable=read)
"""


@pytest.fixture
def stack(backend, tmp_path: Path) -> Stack:
    return Stack(backend, tmp_path)


def run_at(stack: Stack, day: int):
    run = stack.trigger("incremental", logical_date=datetime(2024, 1, day, tzinfo=UTC))
    stack.drain()
    return stack.backend.runs.get("incremental", run.run_id)


def returned(stack: Stack, run_id: str, task_id: str):
    import json

    return json.loads(stack.backend.runs.task_instance("incremental", run_id, task_id).xcom_return or "null")


def test_prev_success_dates_come_from_the_latest_earlier_successful_run(stack):
    write_dag(stack.folder_path, "incremental", DAG_FILE)
    stack.sync()

    first = run_at(stack, 1)
    assert first.state.value == "success"
    assert returned(stack, first.run_id, "render") == "since=None"  # no earlier run
    assert returned(stack, first.run_id, "read") is None

    assert run_at(stack, 2).state.value == "failed"
    third = run_at(stack, 3)

    assert first.data_interval_end == datetime(2024, 1, 1, tzinfo=UTC)
    assert returned(stack, third.run_id, "render") == "since=2024-01-01 00:00:00+00:00"  # pendulum's str, as Airflow renders
    assert returned(stack, third.run_id, "read") == first.start_date.isoformat()
