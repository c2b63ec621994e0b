"""The only leaf is skipped (via a branch) while everything else succeeds."""
import pendulum

from airflow.sdk import dag, task
from airflow.providers.standard.operators.empty import EmptyOperator


@dag(
    dag_id="leaf_skipped",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
)
def leaf_skipped():
    @task
    def prepare():
        return "x"

    @task.branch
    def decide(_):
        return []  # follow no branch at all

    notify = EmptyOperator(task_id="notify")
    decide(prepare()) >> notify


leaf_skipped()
