"""ShortCircuitOperator with ignore_downstream_trigger_rules=False: only direct downstream skipped, rest follows trigger rules."""
import pendulum

from airflow.sdk import DAG, TriggerRule
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import ShortCircuitOperator

with DAG(
    dag_id="short_circuit_respect_rules",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
) as dag:
    gate = ShortCircuitOperator(
        task_id="gate",
        python_callable=lambda: 0,
        ignore_downstream_trigger_rules=False,
    )
    direct = EmptyOperator(task_id="direct")
    default_rule = EmptyOperator(task_id="default_rule")
    all_done = EmptyOperator(task_id="all_done", trigger_rule=TriggerRule.ALL_DONE)
    none_failed = EmptyOperator(task_id="none_failed", trigger_rule=TriggerRule.NONE_FAILED)
    after_all_done = EmptyOperator(task_id="after_all_done")
    other = EmptyOperator(task_id="other")

    gate >> direct >> [default_rule, all_done, none_failed]
    all_done >> after_all_done
    [gate, other] >> EmptyOperator(task_id="fan_in", trigger_rule=TriggerRule.ONE_SUCCESS)
