"""execution_timeout exceeded => failed (with and without retries); downstream all_done still runs."""
import time
from datetime import timedelta

import pendulum

from airflow.sdk import dag, task, TriggerRule
from airflow.providers.standard.operators.bash import BashOperator


@dag(
    dag_id="execution_timeout",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
)
def execution_timeout():
    @task(execution_timeout=timedelta(seconds=1))
    def too_slow():
        time.sleep(5)

    @task(execution_timeout=timedelta(seconds=1), retries=1, retry_delay=timedelta(seconds=0))
    def too_slow_with_retry():
        time.sleep(5)

    @task(execution_timeout=timedelta(seconds=5))
    def fast_enough():
        time.sleep(0.1)
        return "ok"

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def cleanup():
        return "cleaned"

    @task(trigger_rule=TriggerRule.ONE_FAILED)
    def cleanup_bash():
        return "bash timed out"

    @task
    def needs_success():
        return "never"

    bash_slow = BashOperator(
        task_id="bash_too_slow", bash_command="sleep 5", execution_timeout=timedelta(seconds=1)
    )

    slow = too_slow()
    bash_slow >> cleanup_bash()
    slow >> needs_success()
    [slow, too_slow_with_retry(), fast_enough()] >> cleanup()


execution_timeout()
