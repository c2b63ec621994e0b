"""A mapped task group: each instance of the group's tasks gets its own element; instance i of the second
task reads instance i of the first. A task after the group sees every instance's output."""

import pendulum

from airflow.sdk import DAG, task, task_group

with DAG("mapping_task_group", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):

    @task
    def cities() -> list[str]:
        return ["lisbon", "oslo"]

    @task_group
    def per_city(city: str):
        @task
        def fetch(name: str) -> dict:
            return {"city": name, "len": len(name)}

        @task
        def describe(record: dict) -> str:
            return f"{record['city']}:{record['len']}"

        return describe(fetch(city))

    @task
    def summary(lines) -> None:
        assert list(lines) == ["lisbon:6", "oslo:4"], list(lines)

    summary(per_city.expand(city=cities()))
