"""Dashboard e2e: a mapped task (three instances) for the grid's count and the per-index drill-down."""

import pendulum
from airflow.sdk import DAG, task

with DAG(dag_id="ui_mapped", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), tags=["ui-test"]):

    @task
    def numbers():
        return [1, 2, 3]

    @task
    def square(n):
        print(f"squaring {n}")
        return n * n

    square.expand(n=numbers())
