"""Tasks see pendulum DateTimes and Airflow 3.3's template context names (run in-process)."""

from __future__ import annotations

from datetime import UTC, datetime

import pendulum

from chalicelib.core.states import TaskState
from chalicelib.runner.inprocess import SkipWaitClock, run_dag
from chalicelib.sdk import DAG, task
from chalicelib.sdk.operators.bash import BashOperator

SATURDAY = datetime(2024, 6, 1, tzinfo=UTC)


def test_context_dates_are_pendulum_and_the_context_has_airflows_names():
    seen = {}
    with DAG("pend", schedule="@daily", start_date=datetime(2024, 1, 1)) as dag:
        @task
        def check(logical_date=None, data_interval_end=None, dag_run=None, ti=None, task_instance_key_str=None,
                  macros=None, prev_start_date_success="unset", task_reschedule_count=None):
            seen.update(
                paris_hour=logical_date.in_timezone("Europe/Paris").hour,
                tomorrow=logical_date.add(days=1).format("YYYY-MM-DD"),
                run_weekday=dag_run.logical_date.day_of_week,
                interval_end_type=type(data_interval_end),
                ti_date_type=type(ti.logical_date),
                key=task_instance_key_str,
                macro_modules=(macros.dateutil.relativedelta.relativedelta(days=1).days, macros.uuid.uuid4().version),
                prev=prev_start_date_success,
                reschedules=task_reschedule_count,
            )

        check() >> BashOperator(task_id="b", bash_command=(
            "test '{{ task_instance_key_str }} {{ macros.ds_add(ds, 1) }} {{ logical_date.format(\"dddd\") }}'"
            " = 'pend__b__20240601 2024-06-02 Saturday'"))

    result = run_dag(dag, logical_date=SATURDAY, clock=SkipWaitClock())

    assert [ti.state for ti in result.task_instances] == [TaskState.SUCCESS, TaskState.SUCCESS]
    assert seen == {
        "paris_hour": 2, "tomorrow": "2024-06-02", "run_weekday": pendulum.SATURDAY,
        "interval_end_type": pendulum.DateTime, "ti_date_type": pendulum.DateTime, "key": "pend__check__20240601",
        "macro_modules": (1, 4), "prev": None, "reschedules": 0,
    }


def test_a_logical_date_before_start_date_makes_a_run_without_tasks_that_succeeds():
    # Recorded from Airflow 3.3.2: `airflow dags test early_dag 2024-01-01` -> run success, no task instance.
    with DAG("early_dag", schedule="@daily", start_date=datetime(2024, 6, 1, tzinfo=UTC)) as dag:
        BashOperator(task_id="a", bash_command="exit 1")

    result = run_dag(dag, logical_date=datetime(2024, 1, 1, tzinfo=UTC), clock=SkipWaitClock())

    assert (result.state.value, result.task_instances) == ("success", [])
