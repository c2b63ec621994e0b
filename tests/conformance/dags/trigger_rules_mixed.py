"""Every trigger rule evaluated against: upstreams: success, failed, skipped, upstream_failed."""
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
    dag_id="trigger_rules_mixed",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
) as dag:
    up_ok = PythonOperator(task_id="up_ok", python_callable=succeed)
    up_fail = PythonOperator(task_id="up_fail", python_callable=fail)
    up_skip = PythonOperator(task_id="up_skip", python_callable=skip)
    up_uf_parent = PythonOperator(task_id="up_uf_parent", python_callable=fail)
    up_uf = PythonOperator(task_id="up_uf", python_callable=succeed)
    up_uf_parent >> up_uf
    upstreams = [up_ok, up_fail, up_skip, up_uf]
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
