"""Bounded items and isolated failures: nothing stored can outgrow a DynamoDB item, and one bad DAG or run
never stops the scheduler tick for the others (issue #14, item 4)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.api.conftest import TOKENS
from tests.functional.harness import T0, Stack, write_dag

DYNAMODB_ITEM_LIMIT = 400 * 1024

HUGE = '''
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("huge", schedule="@hourly", start_date=pendulum.datetime(2024, 6, 1, tz="UTC"), catchup=False,
         doc_md="a DAG with 2,000 tasks") as dag:
    start = EmptyOperator(task_id="start")
    for i in range(2000):
        start >> EmptyOperator(task_id=f"transform_customer_records_partition_{i:05d}",
                               doc_md=f"Partition {i} of the nightly customer load.")
'''

MINUTELY = '''
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("minutely", schedule="* * * * *", start_date=pendulum.datetime(2024, 6, 1, 11, 58, tz="UTC"), catchup=False):
    EmptyOperator(task_id="tick")
'''


def item_sizes(backend) -> dict[str, int]:
    """The largest item of each table (bytes of its attributes as DynamoDB JSON, an upper bound of its size)."""
    import boto3

    client = boto3.client("dynamodb", region_name=backend.settings.region)
    largest = {}
    for model in backend.models.all():
        table = model.Meta.table_name
        sizes = [len(json.dumps(item)) for page in client.get_paginator("scan").paginate(TableName=table)
                 for item in page["Items"]]
        largest[table] = max(sizes, default=0)
    return largest


@pytest.fixture
def stack(backend, tmp_path):
    folder = tmp_path / "dags"
    folder.mkdir()
    return Stack(backend, folder)


def test_a_2000_task_dag_is_stored_scheduled_and_shown_with_no_item_over_400_kb(stack, monkeypatch):
    from chalice.test import Client

    import app as app_module

    write_dag(stack.folder_path, "huge", HUGE)
    stack.sync(T0)
    stored = stack.backend.dags.get("huge")
    assert len(stored.spec.tasks) == 2001
    item = stack.backend.models.Dag.get("huge")
    assert item.spec is None and item.spec_ref.endswith(f"{item.spec_hash}.json")  # the spec lives in S3

    report = stack.tick(T0.replace(hour=13, minute=0, second=5))
    [created] = report.runs_created
    run_id = created.split("/", 1)[1]
    assert stack.states("huge", run_id)["start"] == ("queued", 1)
    assert len(stack.states("huge", run_id)) == 2001

    for role, token in TOKENS.items():
        monkeypatch.setenv(f"LEVANTE_{role.upper()}_TOKEN", token)
    monkeypatch.setattr(app_module, "_runtime", {"adapters": (stack.backend, stack.dags)})
    headers = {"Authorization": f"Bearer {TOKENS['viewer']}"}
    with Client(app_module.app) as client:
        detail = client.http.get("/api/v1/dags/huge", headers=headers)
        graph = client.http.get("/api/v1/dags/huge/graph", headers=headers)
        grid = client.http.get("/api/v1/dags/huge/grid?limit=5", headers=headers)
    assert detail.status_code == 200 and len(json.loads(detail.body)["tasks"]) == 2001
    assert graph.status_code == 200 and len(json.loads(graph.body)["edges"]) == 2000
    assert grid.status_code == 200

    largest = item_sizes(stack.backend)
    assert max(largest.values()) < DYNAMODB_ITEM_LIMIT, largest


def test_a_huge_import_error_is_truncated_with_a_marker(stack):
    write_dag(stack.folder_path, "loud", 'from airflow.sdk import DAG\nraise ValueError("x" * 1_000_000)\n')

    stack.sync(T0)

    [error] = stack.backend.dags.import_errors()
    assert error["filename"] == "loud.py"
    assert len(error["message"]) <= 2000 and "[truncated" in error["message"]
    assert error["message"].startswith("ValueError: xxx")
    assert max(item_sizes(stack.backend).values()) < DYNAMODB_ITEM_LIMIT


def test_conf_and_note_over_their_limits_are_rejected_with_the_reason(stack):
    from chalicelib.store.errors import BadRequestError

    write_dag(stack.folder_path, "minutely", MINUTELY)
    stack.sync(T0)

    with pytest.raises(BadRequestError, match="conf is .* bytes of JSON; at most 65536"):
        stack.trigger("minutely", conf={"blob": "x" * 70_000})
    with pytest.raises(BadRequestError, match="note is 1001 characters; at most 1000"):
        stack.trigger("minutely", note="n" * 1001)
    assert stack.backend.runs.list("minutely") == []


def test_a_run_with_an_unreadable_date_is_failed_with_the_reason_and_the_tick_goes_on(stack):
    write_dag(stack.folder_path, "minutely", MINUTELY)
    write_dag(stack.folder_path, "other", MINUTELY.replace('"minutely"', '"other"'))
    stack.sync(T0)
    broken = stack.trigger("other")
    stack.backend.models.DagRun("other", broken.run_id).update(
        actions=[stack.backend.models.DagRun.logical_date.set("yesterday-ish")])

    now = T0 + timedelta(seconds=30)
    report = stack.tick(now)

    assert "minutely/scheduled__2024-06-01T12:00:00+00:00" in report.runs_created
    item = stack.backend.models.DagRun.get("other", broken.run_id)
    assert item.state == "failed" and "cannot read this run" in item.failure_reason
    assert "yesterday-ish" in item.failure_reason
    assert stack.backend.dags.get_meta("scheduler", "heartbeat")["at"] == now.isoformat()


def test_a_dag_whose_stored_spec_cannot_be_read_becomes_an_import_error_and_others_are_scheduled(stack):
    write_dag(stack.folder_path, "minutely", MINUTELY)
    write_dag(stack.folder_path, "other", MINUTELY.replace('"minutely"', '"other"'))
    stack.sync(T0)
    Dag = stack.backend.models.Dag
    Dag("other").update(actions=[Dag.spec.set('{"dag_id": "other", "schedule": {"kind": "nonsense"}}')])

    now = T0 + timedelta(seconds=30)
    report = stack.tick(now)

    assert "minutely/scheduled__2024-06-01T12:00:00+00:00" in report.runs_created
    [error] = stack.backend.dags.import_errors()
    assert error["filename"] == "other.py"
    assert "the scheduler cannot schedule DAG 'other'" in error["message"]
    beat = stack.backend.dags.get_meta("scheduler", "heartbeat")
    assert beat["at"] == now.isoformat() and beat["errors"] == 1
