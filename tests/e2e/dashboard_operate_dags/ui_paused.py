"""Dashboard e2e: a DAG the test pauses before triggering it (the run waits queued until it is unpaused)."""

import pendulum
from airflow.sdk import DAG, task

with DAG(dag_id="ui_paused", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), tags=["ui-test"]):

    @task
    def hello():
        print("hello from a run that waited for the unpause")

    hello()
