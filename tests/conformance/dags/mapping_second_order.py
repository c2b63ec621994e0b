"""Mapping over an upstream's returned list, then over the mapped task's own output, then a reduce."""

import pendulum

from airflow.sdk import DAG, task

with DAG("mapping_second_order", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):

    @task
    def numbers() -> list[int]:
        return [5, 6, 7]

    @task
    def double(x: int) -> int:
        return x * 2

    @task
    def plus_one(x: int) -> int:
        return x + 1

    @task
    def check(values) -> None:
        assert list(values) == [11, 13, 15], list(values)

    check(plus_one.expand(x=double.expand(x=numbers())))
