"""on_success_callback / on_failure_callback / on_retry_callback (side effects only; a raising callback must not change state)."""
from datetime import timedelta

import pendulum

from airflow.sdk import dag, task, TriggerRule


def _write(context, kind):
    ti = context["ti"]
    run_id = context["run_id"].replace(":", "_").replace("+", "_")
    with open(f"/tmp/levante_conformance_callbacks_{run_id}.log", "a") as fh:
        fh.write(f"{kind}:{ti.task_id}:{ti.try_number}\n")


def on_success(context):
    _write(context, "success")


def on_failure(context):
    _write(context, "failure")


def on_retry(context):
    _write(context, "retry")


def broken_callback(context):
    raise RuntimeError("callback blew up")


def _write_dag(context, kind):
    run_id = context["run_id"].replace(":", "_").replace("+", "_")
    with open(f"/tmp/levante_conformance_callbacks_{run_id}.log", "a") as fh:
        fh.write(f"dag_{kind}\n")


def dag_success(context):
    _write_dag(context, "success")


def dag_failure(context):
    _write_dag(context, "failure")


@dag(
    dag_id="callbacks",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"on_success_callback": on_success, "on_failure_callback": on_failure},
    on_success_callback=dag_success,
    on_failure_callback=dag_failure,
)
def callbacks():
    @task
    def works():
        return 1

    @task(on_retry_callback=on_retry, retries=1, retry_delay=timedelta(seconds=0))
    def fails_then_works():
        from airflow.sdk import get_current_context

        if get_current_context()["ti"].try_number == 1:
            raise RuntimeError("first try fails")

    @task
    def fails():
        raise RuntimeError("permanent")

    @task(on_success_callback=broken_callback)
    def success_with_broken_callback():
        return "fine"

    @task(on_failure_callback=broken_callback)
    def failure_with_broken_callback():
        raise RuntimeError("fails; its callback fails too")

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def final():
        return "done"

    [works(), fails_then_works(), fails(), success_with_broken_callback(), failure_with_broken_callback()] >> final()


callbacks()
