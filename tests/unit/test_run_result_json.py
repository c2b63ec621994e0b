"""`levante dags test --output json`: each task instance carries the start and end of its tries (ISO 8601,
null for a task that never ran), so a benchmark can time the run from its first start to its last end."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.runner.inprocess import SkipWaitClock, run_dag
from chalicelib.sdk import DAG
from chalicelib.sdk.operators.python import PythonOperator


def boom() -> None:
    raise ValueError("boom")


def test_task_instances_carry_their_start_and_end_dates():
    with DAG("dated", schedule=None, start_date=datetime(2024, 1, 1, tzinfo=UTC)) as dag:
        first = PythonOperator(task_id="first", python_callable=lambda: None)
        broken = PythonOperator(task_id="broken", python_callable=boom)
        never = PythonOperator(task_id="never", python_callable=lambda: None)
        first >> broken >> never
    payload = run_dag(dag, clock=SkipWaitClock(), jitter=False).to_json()
    tis = {ti["task_id"]: ti for ti in payload["task_instances"]}
    start, end = (datetime.fromisoformat(tis["first"][k]) for k in ("start_date", "end_date"))
    assert start.tzinfo is not None and start <= end
    assert datetime.fromisoformat(tis["broken"]["start_date"]) >= end  # downstream starts after upstream ends
    assert tis["never"]["state"] == "upstream_failed"
    assert tis["never"]["start_date"] is None and tis["never"]["end_date"] is None
