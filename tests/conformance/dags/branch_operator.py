"""BranchPythonOperator returning a list of task ids (incl. one inside a TaskGroup), skip propagation, joins."""
import pendulum

from airflow.sdk import DAG, TaskGroup, TriggerRule
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import BranchPythonOperator, PythonOperator


def pick(**context):
    assert context["params"]["mode"] == "full"
    return ["load_a", "grp.load_c"]


with DAG(
    dag_id="branch_operator",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"mode": "full"},
) as dag:
    start = EmptyOperator(task_id="start")
    branch = BranchPythonOperator(task_id="branch", python_callable=pick)
    load_a = PythonOperator(task_id="load_a", python_callable=lambda: "a")
    load_b = PythonOperator(task_id="load_b", python_callable=lambda: "b")
    with TaskGroup("grp") as grp:
        load_c = EmptyOperator(task_id="load_c")
        load_d = EmptyOperator(task_id="load_d")
    transform_b = EmptyOperator(task_id="transform_b")
    transform_d = EmptyOperator(task_id="transform_d")
    join = EmptyOperator(task_id="join", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    join_all_success = EmptyOperator(task_id="join_all_success")
    publish = EmptyOperator(task_id="publish", trigger_rule="none_failed")

    start >> branch >> [load_a, load_b, load_c, load_d]
    load_b >> transform_b
    load_d >> transform_d
    [load_a, transform_b, load_c, transform_d] >> join >> publish
    [load_a, transform_b, load_c, transform_d] >> join_all_success
