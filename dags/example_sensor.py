"""Sensors: wait for an export to be ready by poking every second, then process it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pendulum
from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import DAG, PokeReturnValue, task

DOC = """
### Sensors

`start_export` asks a (pretend) system to prepare an export and returns when it will be ready, 1.5 seconds
later. `wait_for_export` (`@task.sensor`) pokes every second in `poke` mode and is satisfied on its
second or third poke; the `PokeReturnValue` it returns carries the export's location as its XCom.
`wait_for_quota` shows the classic `PythonSensor`, satisfied on its first poke.

A sensor not satisfied within `timeout` (30 s) fails, or is skipped with `soft_fail=True`.
"""

EXPORT_DELAY = timedelta(seconds=1.5)


def _quota_available(**context) -> bool:
    return context["params"]["max_rows"] > 0


with DAG(
    dag_id="example_sensor",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "sensor"],
    doc_md=DOC,
    params={"max_rows": 1000},
) as dag:

    @task
    def start_export(run_id=None) -> dict:
        ready_at = datetime.now(UTC) + EXPORT_DELAY
        return {"export_id": f"export-{run_id}", "ready_at": ready_at.isoformat()}

    @task.sensor(poke_interval=1, timeout=30, mode="poke")
    def wait_for_export(export: dict) -> PokeReturnValue:
        ready = datetime.now(UTC) >= datetime.fromisoformat(export["ready_at"])
        print(f"{export['export_id']} ready: {ready}")
        return PokeReturnValue(is_done=ready, xcom_value=f"s3://exports/{export['export_id']}.csv")

    wait_for_quota = PythonSensor(
        task_id="wait_for_quota",
        python_callable=_quota_available,
        poke_interval=1,
        timeout=30,
        mode="poke",
    )

    @task
    def process_export(location: str) -> str:
        print(f"Processing {location}")
        return location

    location = wait_for_export(start_export())
    wait_for_quota >> process_export(location)
