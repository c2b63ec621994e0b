"""One mapped instance fails after its retry; the others succeed. Trigger rules downstream see every
instance: all_success is upstream_failed, all_done and one_failed run, one_success runs."""

from datetime import timedelta

import pendulum

from airflow.sdk import DAG, task

with DAG("mapping_failed_instance", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):

    @task(retries=1, retry_delay=timedelta(seconds=1))
    def risky(x: int) -> int:
        if x == 2:
            raise ValueError("two is bad")
        return x

    @task
    def strict(values):
        return list(values)

    @task(trigger_rule="all_done")
    def reduce_done(values):
        assert list(values) == [1, 3], list(values)

    @task(trigger_rule="one_failed")
    def alert():
        return "alert"

    @task(trigger_rule="one_success")
    def any_ok():
        return "ok"

    results = risky.expand(x=[1, 2, 3])
    strict(results)
    reduce_done(results)
    results >> [alert(), any_ok()]
