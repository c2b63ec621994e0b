"""Classic operators via Airflow 2 import paths (still accepted by Airflow 3, with deprecation warnings)."""
import pendulum

from airflow import DAG
from airflow.exceptions import AirflowSkipException
from airflow.models.baseoperator import chain, cross_downstream
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import BranchPythonOperator, PythonOperator, ShortCircuitOperator
from airflow.sensors.python import PythonSensor
from airflow.utils.task_group import TaskGroup
from airflow.utils.trigger_rule import TriggerRule


def _skip():
    raise AirflowSkipException("legacy skip")


with DAG(
    dag_id="airflow2_classic_imports",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = EmptyOperator(task_id="start")
    sense = PythonSensor(task_id="sense", python_callable=lambda: True, poke_interval=1, timeout=10)
    branch = BranchPythonOperator(task_id="branch", python_callable=lambda: "grp.left")
    with TaskGroup("grp") as grp:
        left = BashOperator(task_id="left", bash_command="echo left")
        right = BashOperator(task_id="right", bash_command="echo right")
    gate = ShortCircuitOperator(task_id="gate", python_callable=lambda: True)
    skipper = PythonOperator(task_id="skipper", python_callable=_skip)
    x1 = EmptyOperator(task_id="x1")
    x2 = EmptyOperator(task_id="x2")
    y1 = EmptyOperator(task_id="y1")
    y2 = EmptyOperator(task_id="y2")
    join = EmptyOperator(task_id="join", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)

    chain(start, sense, branch, [left, right], join)
    join >> gate >> [x1, x2]
    cross_downstream([x1, x2], [y1, y2])
    start >> skipper
