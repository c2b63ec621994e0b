"""The two-task "counted" DAG the fault tests share: each task appends its name to a file every time its
user code runs, so a test counts executions of user code exactly."""

from __future__ import annotations

from datetime import timedelta

from tests.functional.harness import Env, write_dag

# Two tasks in a chain, each appending its name to a file every time its user code runs.
COUNTED = """
    from datetime import timedelta

    import pendulum
    from airflow.sdk import DAG, task

    LOG = {log!r}


    def note(name):
        with open(LOG, "a") as f:
            f.write(name + "\\n")


    with DAG(dag_id="counted", schedule={schedule!r}, start_date=pendulum.datetime(2024, 6, 1, tz="UTC"),
             catchup=False, default_args={{"retries": 1, "retry_delay": timedelta(seconds={retry_delay})}}):

        @task
        def first():
            note("first")
            return 1

        @task
        def second(value):
            note("second")
            return value + 1

        second(first())
"""


def counted(env: Env, *, schedule=None, retry_delay: float = 0) -> None:
    write_dag(env.folder, "counted", COUNTED.format(log=str(env.log), schedule=schedule, retry_delay=retry_delay))
    env.sync()


def stale(env: Env) -> timedelta:
    return timedelta(seconds=env.backend.settings.heartbeat_timeout + 1)

