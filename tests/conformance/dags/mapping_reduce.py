"""A TaskFlow task mapped over a literal list, and a task reducing its outputs (in map_index order)."""

import pendulum

from airflow.sdk import DAG, task

with DAG("mapping_reduce", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):

    @task
    def square(n: int) -> int:
        return n * n

    @task
    def total(values) -> int:
        values = list(values)
        assert values == [1, 4, 9, 16], values
        assert len(values) == 4
        return sum(values)

    total(square.expand(n=[1, 2, 3, 4]))
