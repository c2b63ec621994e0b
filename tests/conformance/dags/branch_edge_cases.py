"""Branching edge cases: join directly downstream of the branch, branch returning None,
branching to a TaskGroup id, an ALWAYS task directly downstream of a branch."""
import pendulum

from airflow.sdk import DAG, TaskGroup, TriggerRule, task
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import BranchPythonOperator

with DAG(
    dag_id="branch_edge_cases",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
) as dag:
    # 1) join wired directly to the branch as well as to the chosen path
    pick_a = BranchPythonOperator(task_id="pick_a", python_callable=lambda: "path_a")
    path_a = EmptyOperator(task_id="path_a")
    path_b = EmptyOperator(task_id="path_b")
    direct_join = EmptyOperator(
        task_id="direct_join", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS
    )
    always_after_branch = EmptyOperator(task_id="always_after_branch", trigger_rule=TriggerRule.ALWAYS)
    pick_a >> [path_a, path_b, direct_join, always_after_branch]
    [path_a, path_b] >> direct_join

    # 2) branch returning None => every direct downstream skipped
    @task.branch
    def pick_none():
        return None

    nothing_1 = EmptyOperator(task_id="nothing_1")
    nothing_2 = EmptyOperator(task_id="nothing_2")
    after_nothing = EmptyOperator(task_id="after_nothing", trigger_rule=TriggerRule.ALL_DONE)
    pick_none() >> [nothing_1, nothing_2]
    nothing_1 >> after_nothing

    # 3) branch to a TaskGroup id and to a task nested two groups deep
    @task.branch
    def pick_group():
        return ["grp", "outer.inner.deep"]

    with TaskGroup("grp") as grp:
        g1 = EmptyOperator(task_id="g1")
        g2 = EmptyOperator(task_id="g2")
        g1 >> g2
    with TaskGroup("outer") as outer:
        with TaskGroup("inner") as inner:
            deep = EmptyOperator(task_id="deep")
            deep_other = EmptyOperator(task_id="deep_other")
    not_chosen = EmptyOperator(task_id="not_chosen")
    pg = pick_group()
    pg >> [grp, outer, not_chosen]
