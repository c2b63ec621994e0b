"""A producer whose list is longer than [core] max_map_length (1024) fails, with its retries; the mapped
task downstream is upstream_failed. A producer returning a string or None fails the same way."""

from datetime import timedelta

import pendulum

from airflow.sdk import DAG, task

with DAG("mapping_over_max_length", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
         default_args={"retries": 1, "retry_delay": timedelta(seconds=1)}):

    @task
    def too_many() -> list[int]:
        return list(range(1025))

    @task
    def not_a_list() -> str:
        return "abc"

    @task
    def nothing():
        print("returns None")

    @task
    def use(x):
        return x

    use.override(task_id="use_too_many").expand(x=too_many())
    use.override(task_id="use_string").expand(x=not_a_list())
    use.override(task_id="use_none").expand(x=nothing())
