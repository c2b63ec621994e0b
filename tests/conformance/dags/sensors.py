"""PythonSensor / @task.sensor: succeeds after pokes, times out with soft_fail (skipped) and without (failed)."""
import os
from datetime import timedelta

import pendulum

from airflow.sdk import DAG, task, TriggerRule
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.sensors.python import PythonSensor


def _counter_path(context, name):
    run_id = context["run_id"].replace(":", "_").replace("+", "_")
    return f"/tmp/levante_conformance_sensors_{name}_{run_id}.count"


def ready_on_third_poke(**context):
    path = _counter_path(context, "ready")
    n = 0
    if os.path.exists(path):
        with open(path) as fh:
            n = int(fh.read() or 0)
    n += 1
    with open(path, "w") as fh:
        fh.write(str(n))
    return n >= 3


def never_ready():
    return False


with DAG(
    dag_id="sensors",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
) as dag:
    wait_ok = PythonSensor(
        task_id="wait_ok",
        python_callable=ready_on_third_poke,
        poke_interval=1,
        timeout=30,
        mode="poke",
    )

    @task.sensor(poke_interval=1, timeout=2, mode="poke", soft_fail=True)
    def wait_soft():
        return False

    wait_hard = PythonSensor(
        task_id="wait_hard",
        python_callable=never_ready,
        poke_interval=1,
        timeout=2,
        mode="poke",
        soft_fail=False,
        retries=2,
        retry_delay=timedelta(seconds=0),
    )

    after_ok = EmptyOperator(task_id="after_ok")
    after_soft = EmptyOperator(task_id="after_soft")
    after_hard = EmptyOperator(task_id="after_hard")
    after_soft_all_done = EmptyOperator(task_id="after_soft_all_done", trigger_rule=TriggerRule.ALL_DONE)

    wait_ok >> after_ok
    soft = wait_soft()
    soft >> [after_soft, after_soft_all_done]
    wait_hard >> after_hard
