"""Fan-out / fan-in: six parallel tasks in a task group, one flaky task saved by a retry."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TaskGroup, TriggerRule, task

DOC = """
### Fan-out with retries

`start` fans out to six `fetch_*` tasks inside the `fetch` task group (their ids are `fetch.<name>`),
which run in parallel. `fetch.eu_west` fails on its first try, like a flaky network call, and succeeds
when retried: `retries=2`, `retry_delay=2 s` doubling with `retry_exponential_backoff`.

Fan-in with trigger rules:

* `merge` (default `all_success`) sums the six results;
* `cleanup` (`all_done`) runs whatever happened upstream;
* `alert_on_failure` (`one_failed`) runs only if something failed, so in a good run it ends **skipped**,
  and the run still succeeds.
"""

REGIONS = ["us_east", "us_west", "eu_west", "eu_central", "ap_south", "sa_east"]

with DAG(
    dag_id="example_fan_out_retries",
    schedule="@hourly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "retries", "task-group"],
    doc_md=DOC,
    default_args={
        "owner": "platform",
        "retries": 2,
        "retry_delay": timedelta(seconds=2),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(seconds=30),
    },
) as dag:
    start = EmptyOperator(task_id="start")

    @task
    def fetch(region: str, **context) -> int:
        """Count a region's new records; eu_west's API is flaky and fails on the first try."""
        try_number = context["ti"].try_number
        if region == "eu_west" and try_number == 1:
            raise ConnectionError(f"{region}: connection reset (try {try_number}); will be retried")
        return len(region) * 10

    with TaskGroup("fetch", tooltip="One task per region, run in parallel") as fetch_group:
        counts = [fetch.override(task_id=region)(region) for region in REGIONS]

    @task
    def merge(counts: list[int]) -> int:
        total = sum(counts)
        print(f"{total} records from {len(counts)} regions")
        return total

    cleanup = EmptyOperator(task_id="cleanup", trigger_rule=TriggerRule.ALL_DONE)

    @task(trigger_rule=TriggerRule.ONE_FAILED, retries=0)
    def alert_on_failure() -> None:
        print("A region failed for good: paging the on-call engineer")

    start >> fetch_group
    total = merge(counts)
    fetch_group >> [cleanup, alert_on_failure()]
    total >> cleanup
