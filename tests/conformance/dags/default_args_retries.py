"""default_args inheritance + a task that fails on its first try and succeeds on retry."""
from datetime import timedelta

import pendulum

from airflow.sdk import dag, task, get_current_context

default_args = {
    "owner": "data-eng",
    "retries": 1,
    "retry_delay": timedelta(seconds=1),
}


@dag(
    dag_id="default_args_retries",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    default_args=default_args,
    catchup=False,
)
def default_args_retries():
    @task
    def flaky():
        ti = get_current_context()["ti"]
        if ti.try_number < 2:
            raise RuntimeError(f"transient failure on try {ti.try_number}")
        return ti.try_number

    @task(retries=3, retry_delay=timedelta(seconds=0))
    def flaky_twice():
        ti = get_current_context()["ti"]
        if ti.try_number < 3:
            raise ValueError("fail until third try")
        return "ok"

    @task
    def inherits_owner():
        ctx = get_current_context()
        assert ctx["task"].owner == "data-eng", ctx["task"].owner
        assert ctx["task"].retries == 1, ctx["task"].retries

    @task
    def after(n, m):
        assert n == 2, n
        assert m == "ok", m

    after(flaky(), flaky_twice()) >> inherits_owner()


default_args_retries()
