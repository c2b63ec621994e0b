"""A middle task fails but the single leaf has trigger_rule=all_done and succeeds."""
import pendulum

from airflow.sdk import DAG, TriggerRule
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator


def explode():
    raise ValueError("middle task failed")


with DAG(
    dag_id="middle_fail_all_done_leaf",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
) as dag:
    extract = BashOperator(task_id="extract", bash_command="echo extract")
    transform = PythonOperator(task_id="transform", python_callable=explode)
    load = PythonOperator(task_id="load", python_callable=lambda: None)
    teardown_like = BashOperator(
        task_id="cleanup", bash_command="echo cleanup", trigger_rule=TriggerRule.ALL_DONE
    )
    extract >> transform >> load >> teardown_like
