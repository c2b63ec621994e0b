"""Task-instance routes: list, one with tries, logs with offsets, XComs, clear with downstream, mark."""

from __future__ import annotations

from tests.api.conftest import XSS, run_path


def _ti(run: str, task: str = "") -> str:
    return run_path("pipeline", run) + "/taskInstances" + (f"/{task}" if task else "")


def test_list_and_get_task_instances(api, stack) -> None:
    stack.trigger("pipeline", run_id="t")
    stack.drain()
    listed = api.get(_ti("t")).json
    assert listed["total_entries"] == 3
    assert {t["task_id"]: t["state"] for t in listed["task_instances"]} == {
        "extract": "success", "transform": "success", "publish.load": "success"}
    one = api.get(_ti("t", "transform")).json
    assert one["try_number"] == 1 and one["max_tries"] == 2 and one["operator"]
    assert one["tries"] == [{"try_number": 1, "current": True, "state": "success"}]
    rendered = api.get(_ti("t", "transform") + "/renderedFields/1").json
    assert rendered["rendered_fields"]["op_args"] == [{"rows": 3, "html": XSS}]  # the upstream XCom, resolved
    assert api.get(_ti("t", "transform") + "/renderedFields/2").status == 404  # no such try
    assert api.get(_ti("t", "transform") + "/renderedFields/x").status == 400
    assert api.get(_ti("t", "nope")).status == 404
    assert api.get(run_path("pipeline", "nope") + "/taskInstances").status == 404


def test_not_started_task_has_no_status(api, stack) -> None:
    stack.trigger("pipeline", run_id="fresh")
    assert api.get(_ti("fresh", "transform")).json["state"] is None


def test_logs_with_offset_and_xss_inert(api, stack) -> None:
    stack.trigger("pipeline", run_id="l")
    stack.drain()
    reply = api.get(_ti("l", "extract") + "/logs/1")
    assert reply.status == 200 and reply.headers["content-type"] == "application/json"
    log = reply.json
    assert ("extracting " + XSS) in log["content"] and log["end_of_log"] is True
    assert "<script>" not in reply.text
    tail = api.get(_ti("l", "extract") + f"/logs/1?offset={log['offset']}").json
    assert tail["content"] == "" and tail["offset"] == log["offset"]
    middle = api.get(_ti("l", "extract") + "/logs/1?offset=5").json
    assert middle["content"] == log["content"][5:]
    assert api.get(_ti("l", "extract") + "/logs/2").status == 404
    assert api.get(_ti("l", "extract") + "/logs/0").status == 404
    assert api.get(_ti("l", "extract") + "/logs/x").status == 400
    assert api.get(_ti("l", "extract") + "/logs/1?offset=-3").status == 400


def test_xcoms(api, stack) -> None:
    stack.trigger("pipeline", run_id="x")
    stack.drain()
    entries = api.get(_ti("x", "extract") + "/xcomEntries").json["xcom_entries"]
    assert [{k: v for k, v in e.items() if k != "size_bytes"} for e in entries] == [
        {"key": "return_value", "task_id": "extract", "map_index": -1, "value": {"rows": 3, "html": XSS},
         "truncated": False}]
    assert entries[0]["size_bytes"] > len(XSS)


def test_clear_task_with_downstream_reruns_them(api, stack) -> None:
    stack.trigger("pipeline", run_id="c")
    stack.drain()
    body = {"dag_run_id": "c", "task_ids": ["transform"], "include_downstream": True}
    reply = api.post("/dags/pipeline/clearTaskInstances", body, role="operator")
    assert reply.status == 200, reply
    assert sorted(t["task_id"] for t in reply.json["task_instances"]) == ["publish.load", "transform"]
    ti = stack.backend.runs.task_instance("pipeline", "c", "transform")
    assert ti.state == "queued" and int(ti.try_number) == 2 and int(ti.max_tries) == 3  # try kept (1) + retries (2)
    stack.drain()
    assert stack.states("pipeline", "c") == {"extract": ("success", 1), "transform": ("success", 2),
                                             "publish.load": ("success", 2)}
    assert api.get(run_path("pipeline", "c")).json["state"] == "success"


def test_clear_validates_input(api, stack) -> None:
    stack.trigger("pipeline", run_id="v")
    for body in ({"task_ids": ["extract"]}, {"dag_run_id": "v", "task_ids": [1]}, {"dag_run_id": "v", "task_ids": "x"},
                 {"dag_run_id": "v", "state": "success"}, {"dag_run_id": "v", "task_ids": ["nope"]}):
        assert api.post("/dags/pipeline/clearTaskInstances", body, role="operator").status == 400, body
    assert api.post("/dags/pipeline/clearTaskInstances", {"dag_run_id": "zz"}, role="operator").status == 404


def test_clear_skips_tasks_a_worker_holds(api, stack) -> None:
    stack.trigger("pipeline", run_id="busy")  # extract is queued, not yet run
    reply = api.post("/dags/pipeline/clearTaskInstances", {"dag_run_id": "busy", "task_ids": ["extract"]},
                     role="operator").json
    assert reply["task_instances"] == [] and reply["skipped_in_flight"] == ["extract"]


def test_mark_task_success_lets_the_run_continue(api, stack) -> None:
    stack.trigger("flaky", run_id="m")
    stack.drain()
    path = run_path("flaky", "m") + "/taskInstances/boom"
    assert api.patch(path, {"new_state": "running"}, role="operator").status == 400
    reply = api.patch(path, {"new_state": "success"}, role="operator")
    assert reply.status == 200 and reply.json["state"] == "success"
    assert api.patch(path, {"new_state": "success", "dry_run": True}, role="operator").status == 200
    assert api.patch(run_path("flaky", "m") + "/taskInstances/nope", {"new_state": "failed"}, role="operator").status == 404


def test_mark_task_in_a_running_run_advances_it(api, stack) -> None:
    stack.trigger("flaky", run_id="live")  # first is queued
    stack.drain()  # first succeeds, boom fails, after upstream_failed; run failed
    stack.trigger("flaky", run_id="live2")
    path = run_path("flaky", "live2") + "/taskInstances/first"
    assert api.patch(path, {"new_state": "failed"}, role="operator").json["state"] == "failed"
    assert api.get(run_path("flaky", "live2")).json["state"] == "failed"
