"""A mapped task through the store and the API: one item per map_index, map_index in every payload,
listMapped and ?map_index=, logs and XComs per instance, the grid's summary of a mapped task."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import run_path

MAPPED = '''
import pendulum
from airflow.sdk import DAG, task

with DAG("mapped", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    @task
    def numbers():
        return [1, 2, 3]

    @task
    def square(n):
        print(f"squaring {n}")
        if n == 2:
            raise ValueError("no twos")
        return n * n

    @task(trigger_rule="all_done")
    def total(values):
        return sum(values)

    total(square.expand(n=numbers()))
'''


@pytest.fixture
def dags_folder(dags_folder: Path) -> Path:
    (dags_folder / "mapped.py").write_text(MAPPED)
    return dags_folder


def test_a_mapped_run_through_the_store_and_the_api(api):
    """One run (fixtures are costly under moto), checked part by part."""
    reply = api.post("/dags/mapped/dagRuns", {})
    assert reply.status == 200, reply
    api.stack.drain()
    run_id = reply.json["dag_run_id"]
    each_map_index_is_one_stored_instance(api, run_id)
    task_instances_carry_map_index_and_filter_by_it(api, run_id)
    list_mapped_and_one_instance(api, run_id)
    logs_and_xcoms_per_map_index(api, run_id)
    grid_summarises_a_mapped_task(api, run_id)
    marking_one_instance(api, run_id)
    clearing_one_instance(api, run_id)


def each_map_index_is_one_stored_instance(api, finished_run: str):
    run = api.get(run_path("mapped", finished_run)).json
    assert run["state"] == "success"  # the leaf (all_done) succeeded over the failed instance
    items = api.stack.backend.runs.task_instances("mapped", finished_run)
    keys = sorted(i.ti_key for i in items)
    assert keys == ["numbers", "square", "square#0", "square#1", "square#2", "total"]
    placeholder = next(i for i in items if i.ti_key == "square")
    assert int(placeholder.map_count) == 3


def task_instances_carry_map_index_and_filter_by_it(api, finished_run: str):
    tis = api.get(run_path("mapped", finished_run) + "/taskInstances").json
    got = [(t["task_id"], t["map_index"], t["state"], t["try_number"]) for t in tis["task_instances"]]
    assert got == [("numbers", -1, "success", 1), ("square", 0, "success", 1), ("square", 1, "failed", 1),
                   ("square", 2, "success", 1), ("total", -1, "success", 1)]
    assert tis["total_entries"] == 5
    only = api.get(run_path("mapped", finished_run) + "/taskInstances?map_index=1").json["task_instances"]
    assert [(t["task_id"], t["map_index"]) for t in only] == [("square", 1)]


def list_mapped_and_one_instance(api, finished_run: str):
    base = run_path("mapped", finished_run) + "/taskInstances/square"
    mapped = api.get(base + "/listMapped").json
    assert [(t["map_index"], t["state"]) for t in mapped["task_instances"]] == [(0, "success"), (1, "failed"),
                                                                                  (2, "success")]
    assert all(t["is_mapped"] for t in mapped["task_instances"])
    assert api.get(base + "/listMapped?state=failed").json["total_entries"] == 1
    missing = api.get(base)
    assert missing.status == 404 and "map_index" in missing.json["detail"]
    one = api.get(base + "?map_index=1").json
    assert (one["map_index"], one["state"]) == (1, "failed") and "no twos" in one["error"]
    assert api.get(base + "?map_index=7").status == 404
    assert api.get(run_path("mapped", finished_run) + "/taskInstances/total/listMapped").status == 404


def logs_and_xcoms_per_map_index(api, finished_run: str):
    base = run_path("mapped", finished_run) + "/taskInstances/square"
    log = api.get(base + "/logs/1?map_index=2").json
    assert log["map_index"] == 2 and "squaring 3" in log["content"] and "squaring 1" not in log["content"]
    assert api.get(base + "/logs/1").status == 404
    xcoms = api.get(base + "/xcomEntries?map_index=2").json["xcom_entries"]
    assert [(x["key"], x["task_id"], x["map_index"], x["value"]) for x in xcoms] == [("return_value", "square", 2, 9)]
    total = api.get(run_path("mapped", finished_run) + "/taskInstances/total/xcomEntries").json["xcom_entries"]
    assert total[0]["value"] == 10  # the reduce saw instances 0 and 2 (1 failed, pushed nothing)


def grid_summarises_a_mapped_task(api, finished_run: str):
    grid = api.get("/dags/mapped/grid").json
    assert next(t for t in grid["tasks"] if t["task_id"] == "square")["is_mapped"] is True
    cell = grid["dag_runs"][0]["task_instances"]["square"]
    assert cell["mapped"] == {"count": 3, "states": {"success": 2, "failed": 1}}
    assert cell["state"] == "failed"
    assert "mapped" not in grid["dag_runs"][0]["task_instances"]["numbers"]


def marking_one_instance(api, finished_run: str):
    base = run_path("mapped", finished_run) + "/taskInstances/square"
    reply = api.patch(base, {"new_state": "success", "map_index": 1})
    assert reply.status == 200, reply
    assert (reply.json["map_index"], reply.json["state"]) == (1, "success")
    assert api.get(base + "?map_index=0").json["state"] == "success"



def clearing_one_instance(api, finished_run: str):
    """Airflow's `[task_id, map_index]` entries: only that instance is cleared (and runs, and fails, again)."""
    body = {"dag_run_id": finished_run, "task_ids": [["square", 1]]}
    dry_reply = api.post("/dags/mapped/clearTaskInstances", {**body, "dry_run": True})
    assert dry_reply.status == 200, dry_reply
    dry = dry_reply.json
    assert [(t["task_id"], t["map_index"]) for t in dry["task_instances"]] == [("square", 1)]
    assert api.post("/dags/mapped/clearTaskInstances", body).json["total_entries"] == 1
    api.stack.drain()
    mapped = api.get(run_path("mapped", finished_run) + "/taskInstances/square/listMapped").json["task_instances"]
    assert [(t["map_index"], t["state"], t["try_number"]) for t in mapped] == [
        (0, "success", 1), (1, "failed", 2), (2, "success", 1)]
    for bad in ([["square", -1]], [["square", "1"]], [[1, 1]]):
        reply = api.post("/dags/mapped/clearTaskInstances", {"dag_run_id": finished_run, "task_ids": bad})
        assert reply.status == 400 and "map_index" in reply.json["detail"], (bad, reply)
    for bad in ([["square"]], [3]):  # not a string nor a pair: refused by the published schema
        assert api.post("/dags/mapped/clearTaskInstances", {"dag_run_id": finished_run, "task_ids": bad}).status == 400
