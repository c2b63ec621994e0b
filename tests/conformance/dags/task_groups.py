"""TaskGroup (context manager, nested) and @task_group (called twice => suffixed group ids)."""
import pendulum

from airflow.sdk import dag, task, task_group, TaskGroup
from airflow.providers.standard.operators.empty import EmptyOperator


@dag(
    dag_id="task_groups",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
)
def task_groups():
    start = EmptyOperator(task_id="start")

    with TaskGroup("extract") as extract:
        @task
        def pull_orders():
            return [1, 2]

        @task
        def pull_users():
            return ["u"]

        orders = pull_orders()
        users = pull_users()
        with TaskGroup("validate") as validate:
            EmptyOperator(task_id="schema") >> EmptyOperator(task_id="rows")
        [orders, users] >> validate

    @task_group
    def transform(values):
        @task
        def double(v):
            return [x * 2 for x in v]

        @task
        def total(v):
            return sum(v)

        return total(double(values))

    @task
    def combine(a, b):
        assert a == 6 and b == 6, (a, b)
        return a + b

    with TaskGroup("no_prefix", prefix_group_id=False) as no_prefix:
        EmptyOperator(task_id="plain_id")

    @task_group(group_id="load")
    def load_group():
        EmptyOperator(task_id="write") >> EmptyOperator(task_id="commit")

    start >> extract
    t1 = transform(orders)
    t2 = transform(orders)
    combined = combine(t1, t2)
    combined >> no_prefix >> load_group()


task_groups()
