"""Every trigger rule evaluated against: both upstreams succeed."""
import pendulum

from airflow.sdk import DAG, TriggerRule
from airflow.sdk.exceptions import AirflowSkipException
from airflow.providers.standard.operators.python import PythonOperator


def succeed():
    return "ok"


def fail():
    raise RuntimeError("upstream failure")


def skip():
    raise AirflowSkipException("nothing to do")


def downstream(**context):
    print("ran", context["ti"].task_id)


with DAG(
    dag_id="trigger_rules_all_success",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
) as dag:
    up_a = PythonOperator(task_id="up_a", python_callable=succeed)
    up_b = PythonOperator(task_id="up_b", python_callable=succeed)
    upstreams = [up_a, up_b]
    for rule in [
        TriggerRule.ALL_SUCCESS,
        TriggerRule.ALL_FAILED,
        TriggerRule.ALL_DONE,
        TriggerRule.ALL_DONE_MIN_ONE_SUCCESS,
        TriggerRule.ALL_SKIPPED,
        TriggerRule.ONE_SUCCESS,
        TriggerRule.ONE_FAILED,
        TriggerRule.ONE_DONE,
        TriggerRule.NONE_FAILED,
        TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS,
        TriggerRule.NONE_SKIPPED,
        TriggerRule.ALWAYS,
    ]:
        upstreams >> PythonOperator(task_id=f"rule_{rule.value}", python_callable=downstream, trigger_rule=rule)
