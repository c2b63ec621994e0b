"""AirflowSkipException raised from tasks (both import paths) and its effect on downstream tasks."""
import pendulum

from airflow.exceptions import AirflowSkipException as LegacySkip
from airflow.sdk import dag, task, TriggerRule
from airflow.sdk.exceptions import AirflowSkipException


@dag(
    dag_id="skip_exception",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
)
def skip_exception():
    @task
    def maybe_skip():
        raise AirflowSkipException("no new data")

    @task
    def legacy_skip():
        raise LegacySkip("skipped via airflow.exceptions")

    @task
    def consume():
        return "never"

    @task(trigger_rule=TriggerRule.NONE_FAILED)
    def tolerant():
        return "ran"

    @task
    def after_tolerant():
        return "ran too"

    @task(retries=2)
    def skip_with_retries():
        raise AirflowSkipException("skips are not retried")

    s = maybe_skip()
    s >> consume()
    t = tolerant()
    [s, legacy_skip()] >> t >> after_tolerant()
    skip_with_retries()


skip_exception()
