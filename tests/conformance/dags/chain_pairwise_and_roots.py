"""chain() with equal-length lists links pairwise (revealed through a failure); cross_downstream
links all pairs; root tasks with non-default trigger rules still run."""
import pendulum

from airflow.sdk import DAG, TriggerRule, chain, cross_downstream
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator


def fail():
    raise RuntimeError("fail on purpose")


with DAG(
    dag_id="chain_pairwise_and_roots",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
) as dag:
    start = EmptyOperator(task_id="start")
    left_bad = PythonOperator(task_id="left_bad", python_callable=fail)
    right_ok = EmptyOperator(task_id="right_ok")
    left_next = EmptyOperator(task_id="left_next")
    right_next = EmptyOperator(task_id="right_next")
    finish = EmptyOperator(task_id="finish", trigger_rule=TriggerRule.ALL_DONE)
    # pairwise: left_bad >> left_next, right_ok >> right_next (NOT a full cross)
    chain(start, [left_bad, right_ok], [left_next, right_next], finish)

    x_bad = PythonOperator(task_id="x_bad", python_callable=fail)
    x_ok = EmptyOperator(task_id="x_ok")
    y1 = EmptyOperator(task_id="y1")
    y2 = EmptyOperator(task_id="y2", trigger_rule=TriggerRule.ONE_SUCCESS)
    cross_downstream([x_bad, x_ok], [y1, y2])

    # roots (no upstream) run whatever their trigger rule says
    EmptyOperator(task_id="root_all_failed", trigger_rule=TriggerRule.ALL_FAILED)
    EmptyOperator(task_id="root_one_failed", trigger_rule=TriggerRule.ONE_FAILED)
    EmptyOperator(task_id="root_all_skipped", trigger_rule=TriggerRule.ALL_SKIPPED)
    EmptyOperator(task_id="root_none_failed_min_one_success",
                  trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
