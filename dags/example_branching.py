"""Branching: pick a path by the logical date's weekday (or a param), then join the paths again."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import BranchPythonOperator
from airflow.sdk import DAG, Param, TriggerRule, task

DOC = """
### Branching

`choose_report` (`@task.branch`) returns the task id to follow: `weekday_report` from Monday to Friday,
`weekend_digest` on Saturday and Sunday, or `full_refresh` when the run's `full_refresh` param is true.
Every other direct downstream task of the branch is **skipped**, and so are the tasks after them that
use the default trigger rule.

`join` uses `none_failed_min_one_success`: it runs when the followed branch succeeded, although the
others were skipped (the default `all_success` would skip it too).

`pick_storage` shows the classic `BranchPythonOperator`, returning a list of task ids to follow.

    levante dags test example_branching --logical-date 2024-06-01           # a Saturday: weekend_digest
    levante dags test example_branching --conf '{"full_refresh": true}'
"""


def _pick_storage(params: dict) -> list[str]:
    targets = ["store_in_s3"]
    if params["also_archive"]:
        targets.append("store_in_glacier")
    return targets


with DAG(
    dag_id="example_branching",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "branching"],
    doc_md=DOC,
    params={
        "full_refresh": Param(False, type="boolean", description="Rebuild everything instead of a daily report"),
        "also_archive": Param(False, type="boolean"),
    },
) as dag:

    @task.branch
    def choose_report(logical_date=None, params=None) -> str:
        if params["full_refresh"]:
            return "full_refresh"
        return "weekend_digest" if logical_date.weekday() >= 5 else "weekday_report"

    weekday_report = EmptyOperator(task_id="weekday_report")
    weekend_digest = EmptyOperator(task_id="weekend_digest")
    full_refresh = EmptyOperator(task_id="full_refresh")
    join = EmptyOperator(task_id="join", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)

    pick_storage = BranchPythonOperator(task_id="pick_storage", python_callable=_pick_storage)
    store_in_s3 = EmptyOperator(task_id="store_in_s3")
    store_in_glacier = EmptyOperator(task_id="store_in_glacier")
    done = EmptyOperator(task_id="done", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)

    choose_report() >> [weekday_report, weekend_digest, full_refresh] >> join
    join >> pick_storage >> [store_in_s3, store_in_glacier] >> done
