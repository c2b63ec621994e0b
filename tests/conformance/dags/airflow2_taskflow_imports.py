"""TaskFlow via airflow.decorators (Airflow 2 path) incl. branch/short_circuit decorators and get_current_context."""
from datetime import timedelta

import pendulum

from airflow.decorators import dag, task, task_group
from airflow.operators.python import get_current_context
from airflow.utils.trigger_rule import TriggerRule


@dag(
    dag_id="airflow2_taskflow_imports",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=0)},
)
def airflow2_taskflow_imports():
    @task
    def numbers():
        return {"a": 1, "b": 2}

    @task
    def add(d):
        if get_current_context()["ti"].try_number == 1:
            raise RuntimeError("retry me once")
        return d["a"] + d["b"]

    @task.branch
    def route(total):
        return "group.even" if total % 2 == 0 else "group.odd"

    @task_group(group_id="group")
    def group():
        @task
        def even():
            return "even"

        @task
        def odd():
            return "odd"

        return [even(), odd()]

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def stop_here():
        return False

    @task(trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    def join():
        return "joined"

    @task
    def skipped_by_gate():
        return "never"

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def after_gate():
        return "runs"

    r = route(add(numbers()))
    g = group()
    r >> g
    g >> join() >> stop_here() >> skipped_by_gate() >> after_gate()


airflow2_taskflow_imports()
