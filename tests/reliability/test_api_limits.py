"""#15 items 10 and 13: deleting a run deletes its large XComs and logs (and nothing of another run's),
XComs and logs have configurable limits with a clear error / marker, and the log endpoint pages a big log.

Tasks run through the real worker handler and SQS/DynamoDB/S3 (moto); the API through chalice's client.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tests.api.conftest import Api, run_path

BIG = '''
import pendulum
from airflow.sdk import DAG, task

with DAG("big", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
    @task
    def produce(ti=None):
        ti.xcom_push(key="side", value="s" * 200_000)   # over the 64 KB inline limit: S3
        return "r" * 300_000

    @task
    def chatty():
        for i in range(40_000):
            print(f"line {i:06d} " + "x" * 40)

    produce()
    chatty()
'''


@pytest.fixture
def big_dags(dags_folder: Path) -> Path:
    (dags_folder / "big.py").write_text(BIG)
    return dags_folder


def s3_keys(backend) -> list[str]:
    """The run data in the bucket (logs and XComs; DAG specs and sources live beside them)."""
    pages = backend.blobs.client.get_paginator("list_objects_v2").paginate(Bucket=backend.settings.bucket)
    keys = (obj["Key"] for page in pages for obj in page.get("Contents", []))
    return sorted(k for k in keys if k.startswith(("logs/", "xcoms/")))


def run_big(api: Api, run_id: str) -> None:
    api.stack.sync()
    reply = api.post("/dags/big/dagRuns", {"dag_run_id": run_id})
    assert reply.status == 200, reply
    api.stack.drain()
    states = {t["task_id"]: t["state"] for t in api.get(run_path("big", run_id) + "/taskInstances").json["task_instances"]}
    assert states == {"produce": "success", "chatty": "success"}, states


def test_deleting_a_run_deletes_its_large_xcoms_and_logs_and_nothing_of_another_run(big_dags: Path, api: Api) -> None:
    run_big(api, "victim")
    run_big(api, "victim_2")  # same prefix text as "victim": a prefix match would take it too
    backend = api.stack.backend
    before = s3_keys(backend)
    assert any(k.startswith("xcoms/big/victim/") for k in before) and any("/run_id=victim/" in k for k in before)
    entries = api.get(run_path("big", "victim") + "/taskInstances/produce/xcomEntries").json["xcom_entries"]
    assert {e["key"]: e["size_bytes"] for e in entries} == {"return_value": 300_002, "side": 200_002}

    assert api.delete(run_path("big", "victim"), role="operator").status == 204

    after = s3_keys(backend)
    assert not [k for k in after if "/victim/" in k or "run_id=victim/" in k], after
    assert sorted(k for k in before if "victim_2" in k) == after  # the other run keeps every object


def test_a_crafted_run_id_cannot_reach_another_runs_objects(api: Api) -> None:
    """The attack of item 10: a run named '<other run>/task_id=x' whose deletion deleted the other's logs."""
    reply = api.post("/dags/flaky/dagRuns", {"dag_run_id": "target/task_id=first"})
    assert reply.status == 400
    from chalicelib.store.blobs import log_key, run_log_prefix

    # Ids that are no longer accepted but may be stored still map to one key segment each.
    assert not log_key("flaky", "target", "first", 1).startswith(run_log_prefix("flaky", "target/task_id=first"))
    assert run_log_prefix("flaky", "..").count("/") == 3


@pytest.fixture
def small_limits(api: Api):
    backend = api.stack.backend
    backend.settings = dataclasses.replace(backend.settings, xcom_max_bytes=250_000, log_max_bytes=100_000)
    backend.blobs.settings = backend.settings
    return backend


def test_limits_fail_a_big_xcom_with_its_setting_and_cut_a_big_log_with_a_marker(big_dags: Path, api: Api,
                                                                                  small_limits) -> None:
    api.stack.sync()
    assert api.post("/dags/big/dagRuns", {"dag_run_id": "limited"}).status == 200
    api.stack.drain()
    produce = api.get(run_path("big", "limited") + "/taskInstances/produce").json
    assert produce["state"] == "failed"
    assert produce["error"].startswith("XComTooLarge: XCom 'return_value' of task 'produce' is 293 KB")
    assert "LEVANTE_XCOM_MAX_BYTES" in produce["error"]
    # This task's log was long too (it logs the value it returned): cut at the limit, with the marker.
    log = api.get(run_path("big", "limited") + "/taskInstances/produce/logs/1").json["content"]
    assert log.endswith("more bytes were not kept\n") and len(log.encode()) < 100_000 + 200

    chatty = api.get(run_path("big", "limited") + "/taskInstances/chatty/logs/1").json
    content = chatty["content"]
    assert chatty["end_of_log"] and len(content.encode()) < 100_000 + 200
    assert content.rstrip().endswith("more bytes were not kept")
    assert "[levante] log truncated at 97.7 KB (LEVANTE_LOG_MAX_BYTES)" in content


def test_the_log_endpoint_pages_a_big_log_instead_of_returning_it_whole(big_dags: Path, api: Api) -> None:
    backend = api.stack.backend
    run_big(api, "paged")
    from chalicelib.store.blobs import log_key

    whole = "".join(f"{i:07d} ünïcode line\n" for i in range(150_000))  # ~3.3 MB, multibyte characters
    backend.blobs.put_text(log_key("big", "paged", "chatty", 1), whole)
    path = run_path("big", "paged") + "/taskInstances/chatty/logs/1"
    parts, offset, pages = [], 0, 0
    while True:
        page = api.get(f"{path}?offset={offset}").json
        assert len(page["content"].encode()) <= 1024 * 1024
        parts.append(page["content"])
        offset, pages = page["offset"], pages + 1
        if page["end_of_log"]:
            break
    assert pages >= 4 and "".join(parts) == whole
    json.dumps(parts)  # every page decoded whole characters
