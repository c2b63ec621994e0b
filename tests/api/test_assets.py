"""Assets through the store: a producer's success records asset events, the tick starts the DAGs whose
condition they meet (with the events in `triggering_asset_events`), and the API lists assets and events."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import run_path

PRODUCERS = '''
import pendulum
from airflow import Dataset
from airflow.sdk import DAG, Asset, task

with DAG("produce_a", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    @task(outlets=[Asset("orders", uri="s3://lake/a")])
    def write_a(*, outlet_events=None):
        outlet_events[Asset("orders", uri="s3://lake/a")].extra = {"rows": 3}

    write_a()

with DAG("produce_b", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    @task(outlets=[Dataset("s3://lake/b")])
    def write_b():
        return "b"

    write_b()
'''

CONSUMERS = '''
import pendulum
from airflow.sdk import DAG, Asset, task

a, b = Asset("orders", uri="s3://lake/a"), Asset(uri="s3://lake/b")

with DAG("needs_both", schedule=[a, b], start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    @task
    def check_both(*, triggering_asset_events=None):
        uris = sorted(asset.uri for asset in triggering_asset_events)
        assert uris == ["s3://lake/a", "s3://lake/b"], uris
        assert triggering_asset_events["s3://lake/a"][0].extra == {"rows": 3}
        assert triggering_asset_events[a][0].source_dag_id == "produce_a"

    check_both()

with DAG("needs_either", schedule=a | b, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    @task
    def check_either(*, triggering_asset_events=None):
        assert len(triggering_asset_events) == 1, dict(triggering_asset_events)

    check_either()
'''


@pytest.fixture
def dags_folder(dags_folder: Path) -> Path:
    (dags_folder / "producers.py").write_text(PRODUCERS)
    (dags_folder / "consumers.py").write_text(CONSUMERS)
    return dags_folder


def created(report, dag_id: str) -> list[str]:
    return [r.split("/", 1)[1] for r in report.runs_created if r.startswith(f"{dag_id}/")]


def test_asset_events_start_the_dags_whose_condition_they_meet(api):
    from chalicelib.store.assets import AssetRepository

    stack = api.stack
    assert api.post("/dags/produce_a/dagRuns", {}).status == 200
    stack.drain()
    first = stack.tick()
    assert created(first, "needs_either") and not created(first, "needs_both")
    stack.drain()
    either_run = created(first, "needs_either")[0]
    assert api.get(run_path("needs_either", either_run)).json["state"] == "success"

    assert api.post("/dags/produce_b/dagRuns", {}).status == 200
    stack.drain()
    second = stack.tick()
    [both_run] = created(second, "needs_both")
    assert created(second, "needs_either")  # any asset again
    stack.drain()
    run = api.get(run_path("needs_both", both_run)).json
    assert run["state"] == "success" and run["run_type"] == "asset_triggered"
    triggering = {e["uri"]: e for e in run["triggering_asset_events"]}
    assert set(triggering) == {"s3://lake/a", "s3://lake/b"}
    assert triggering["s3://lake/a"]["source_task_id"] == "write_a"
    assert AssetRepository(stack.backend.models).queued() == {}  # consumed
    assert not created(stack.tick(), "needs_both")  # no new events, no new run

    assets = {a["uri"]: a for a in api.get("/assets").json["assets"]}
    assert set(assets) == {"s3://lake/a", "s3://lake/b"}
    assert assets["s3://lake/a"]["name"] == "orders"
    assert assets["s3://lake/a"]["producing_tasks"] == [{"dag_id": "produce_a", "task_id": "write_a"}]
    assert {d["dag_id"] for d in assets["s3://lake/b"]["consuming_dags"]} == {"needs_both", "needs_either"}
    assert assets["s3://lake/b"]["last_asset_event"] is not None
    events = api.get("/assets/events?uri=s3://lake/a").json["asset_events"]
    assert [(e["source_dag_id"], e["extra"]) for e in events] == [("produce_a", {"rows": 3})]
    assert api.get("/assets/events?source_dag_id=produce_b").json["total_entries"] == 1
    detail = api.get("/dags/needs_either").json
    assert detail["asset_expression"] == {"any": [{"asset": "s3://lake/a"}, {"asset": "s3://lake/b"}]}
    assert detail["asset_expression_text"] == "s3://lake/a | s3://lake/b"
