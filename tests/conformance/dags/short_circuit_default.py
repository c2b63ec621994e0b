"""@task.short_circuit returning falsy with ignore_downstream_trigger_rules=True (default): every downstream skipped."""
import pendulum

from airflow.sdk import dag, task, TriggerRule
from airflow.providers.standard.operators.empty import EmptyOperator


@dag(
    dag_id="short_circuit_default",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
)
def short_circuit_default():
    @task.short_circuit
    def is_weekend():
        return False

    @task.short_circuit
    def always_true():
        return True

    @task
    def process():
        return 1

    @task
    def passed_through():
        return 2

    cleanup_all_done = EmptyOperator(task_id="cleanup_all_done", trigger_rule=TriggerRule.ALL_DONE)
    always_run = EmptyOperator(task_id="always_run", trigger_rule=TriggerRule.ALWAYS)
    unrelated = EmptyOperator(task_id="unrelated")

    p = process()
    is_weekend() >> p >> cleanup_all_done >> always_run
    always_true() >> passed_through()
    unrelated


short_circuit_default()
