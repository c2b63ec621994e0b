"""Zero-length expansions: over an empty literal and over an empty upstream list. Airflow skips the
mapped task; its downstream tasks follow their trigger rules."""

import pendulum

from airflow.sdk import DAG, task

with DAG("mapping_zero_length", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):

    @task
    def nothing() -> list:
        return []

    @task
    def work(x):
        return x

    @task
    def after(values):
        return list(values)

    @task(trigger_rule="all_done")
    def cleanup():
        return "done"

    @task(trigger_rule="none_failed")
    def tolerant(values):
        assert list(values) == [], list(values)

    from_upstream = work.override(task_id="work_upstream").expand(x=nothing())
    after.override(task_id="after_upstream")(from_upstream)
    from_upstream >> cleanup()
    literal = work.override(task_id="work_literal").expand(x=[])
    after.override(task_id="after_literal")(literal)
    tolerant(literal)
