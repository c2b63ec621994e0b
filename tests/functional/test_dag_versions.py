"""DAG versioning through bundles: a run finishes on the version it started with, the next run uses the new
one, and both versions (with their source) are visible through the API."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import TOKENS
from tests.functional.harness import T0, Stack, side_effects, write_dag

DAG = '''
import pendulum
from airflow.sdk import DAG, task

def record(what):
    with open(__LOG__, "a") as log:
        log.write(what + "\\n")

with DAG("versioned", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    @task
    def first():
        record("__V__-first")

    @task
    def second():
        record("__V__-second")
__EXTRA__
'''
V2_EXTRA = '''
    @task
    def third():
        record("v2-third")

    first() >> second() >> third()
'''


def source(log, version: str) -> str:
    extra = V2_EXTRA if version == "v2" else "\n    first() >> second()\n"
    return DAG.replace("__LOG__", repr(str(log))).replace("__V__", version).replace("__EXTRA__", extra)


@pytest.fixture
def stack(backend, tmp_path):
    folder = tmp_path / "dags"
    folder.mkdir()
    return Stack(backend, folder)


def handle_one(stack: Stack) -> str:
    from chalicelib.services.task_consumer import handle_message

    [message] = stack.queue.receive(max_messages=1, wait_seconds=0)
    outcome = handle_message(stack.backend, stack.dags, message["Body"])
    stack.queue.delete(message["ReceiptHandle"])
    return outcome


def test_a_run_finishes_on_its_version_and_the_next_run_uses_the_new_one(stack, tmp_path, monkeypatch):
    log = tmp_path / "ran.log"
    write_dag(stack.folder_path, "versioned", source(log, "v1"))
    v1 = stack.deploy(T0).version
    early = stack.trigger("versioned")
    assert handle_one(stack) == "success"  # `first` of the early run; `second` is queued

    write_dag(stack.folder_path, "versioned", source(log, "v2"))
    v2 = stack.deploy(T0).version
    late = stack.trigger("versioned")
    stack.drain()

    assert sorted(side_effects(log)) == ["v1-first", "v1-second", "v2-first", "v2-second", "v2-third"]
    assert stack.states("versioned", early.run_id) == {"first": ("success", 1), "second": ("success", 1)}
    assert stack.states("versioned", late.run_id)["third"] == ("success", 1)
    assert stack.backend.runs.get("versioned", early.run_id).bundle_version == v1
    assert stack.backend.runs.get("versioned", late.run_id).bundle_version == v2
    assert stack.backend.runs.get("versioned", early.run_id).state.value == "success"

    from chalice.test import Client

    import app as app_module

    for role, token in TOKENS.items():
        monkeypatch.setenv(f"LEVANTE_{role.upper()}_TOKEN", token)
    monkeypatch.setattr(app_module, "_runtime", {"adapters": (stack.backend, stack.dags)})
    headers = {"Authorization": f"Bearer {TOKENS['viewer']}"}
    with Client(app_module.app) as client:
        versions = json.loads(client.http.get("/api/v1/dags/versioned/versions", headers=headers).body)
        old = json.loads(client.http.get("/api/v1/dags/versioned/versions/1/source", headers=headers).body)
        runs = json.loads(client.http.get("/api/v1/dags/versioned/dagRuns", headers=headers).body)
        bad = client.http.get("/api/v1/dags/versioned/versions/one/source", headers=headers)
    assert [(v["version_number"], v["bundle_version"], v["is_current"]) for v in versions["dag_versions"]] == [
        (2, v2, True), (1, v1, False)]
    assert versions["total_entries"] == 2
    assert "v1-second" in old["content"] and "v2" not in old["content"]
    assert {r["dag_run_id"]: r["bundle_version"] for r in runs["dag_runs"]} == {early.run_id: v1, late.run_id: v2}
    assert bad.status_code == 400 and "version_number" in json.loads(bad.body)["detail"]
