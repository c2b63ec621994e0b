"""@task.branch choosing one path; joins with none_failed_min_one_success and default all_success."""
import pendulum

from airflow.sdk import dag, task, TriggerRule
from airflow.providers.standard.operators.empty import EmptyOperator


@dag(
    dag_id="branch_taskflow",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
)
def branch_taskflow():
    @task
    def get_size():
        return 42

    @task.branch
    def choose(size):
        return "big_path" if size > 10 else "small_path"

    @task
    def big_path():
        return "big"

    @task
    def small_path():
        return "small"

    @task
    def after_small(x):
        return x

    join_ok = EmptyOperator(task_id="join_ok", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    join_default = EmptyOperator(task_id="join_default")
    final = EmptyOperator(task_id="final")

    branch = choose(get_size())
    big = big_path()
    small = small_path()
    branch >> [big, small]
    small_after = after_small(small)
    [big, small_after] >> join_ok
    [big, small_after] >> join_default
    join_ok >> final


branch_taskflow()
