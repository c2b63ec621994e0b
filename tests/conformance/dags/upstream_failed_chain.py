"""A failing root propagates upstream_failed down a chain; an independent branch still succeeds."""
import pendulum

from airflow.sdk import DAG, chain, TriggerRule
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator


def fail():
    raise RuntimeError("root failure")


with DAG(
    dag_id="upstream_failed_chain",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
) as dag:
    root = PythonOperator(task_id="root", python_callable=fail)
    ok = EmptyOperator(task_id="ok_branch")
    s1 = EmptyOperator(task_id="step1")
    s2 = PythonOperator(task_id="step2", python_callable=lambda: 2)
    s3 = EmptyOperator(task_id="step3")
    fan_in = EmptyOperator(task_id="fan_in")
    on_fail = EmptyOperator(task_id="on_failure_alert", trigger_rule=TriggerRule.ONE_FAILED)
    after_alert = EmptyOperator(task_id="after_alert")
    chain(root, s1, s2, s3)
    [s3, ok] >> fan_in
    [root, ok] >> on_fail >> after_alert
