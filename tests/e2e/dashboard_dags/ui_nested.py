"""Dashboard e2e: nested task groups whose tasks interleave in topological order, and a retry that waits."""

from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Param, TaskGroup

with DAG(dag_id="ui_nested", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), tags=["ui-test2"],
         params={"batch": Param("AB-1", type="string", title="Batch code", pattern="^[A-Z]{2}-[0-9]+$"),
                 "size": Param(10, type="integer", multipleOf=5, description="a multiple of 5")}) as dag:
    start = EmptyOperator(task_id="start")
    with TaskGroup("prep") as prep:
        with TaskGroup("clean") as clean:
            load = EmptyOperator(task_id="load")
            gate = EmptyOperator(task_id="gate")
        fetch = EmptyOperator(task_id="fetch")
    with TaskGroup("report") as report:
        draw = EmptyOperator(task_id="draw")
    finish = EmptyOperator(task_id="finish")
    # topological order interleaves the groups: prep.clean.load, prep.fetch, report.draw, prep.clean.gate
    start >> [load, fetch, draw]
    draw >> gate
    [gate, fetch] >> finish

with DAG(dag_id="ui_retry", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), tags=["ui-test2"],
         default_args={"retries": 2, "retry_delay": timedelta(hours=1)}) as retry_dag:
    BashOperator(task_id="wait_for_retry", bash_command="echo 'ERROR not yet'; exit 1")
