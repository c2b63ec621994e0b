"""A task that always fails (retries=2 -> 3 tries), AirflowFailException (no retry), downstream upstream_failed."""
from datetime import timedelta

import pendulum

from airflow.sdk import dag, task
from airflow.sdk.exceptions import AirflowFailException


@dag(
    dag_id="retries_exhausted",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
)
def retries_exhausted():
    @task(retries=2, retry_delay=timedelta(seconds=0))
    def always_fails():
        raise RuntimeError("boom")

    @task(retries=3, retry_delay=timedelta(seconds=0))
    def fail_fast():
        raise AirflowFailException("do not retry me")

    @task
    def downstream_of_always():
        pass

    @task
    def downstream_of_fail_fast():
        pass

    @task
    def independent():
        return "fine"

    always_fails() >> downstream_of_always()
    fail_fast() >> downstream_of_fail_fast()
    independent()


retries_exhausted()
