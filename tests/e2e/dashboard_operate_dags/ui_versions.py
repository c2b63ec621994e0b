"""Dashboard e2e: a DAG the test edits, so that it has two versions."""

import pendulum
from airflow.sdk import DAG, task

with DAG(dag_id="ui_versions", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), tags=["ui-test"]):

    @task
    def first():
        print("first version")

    first()
