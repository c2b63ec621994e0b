"""DAG routes: list (filters, sort, paging), detail, pause, source, graph, grid, stats, import errors."""

from __future__ import annotations

from tests.api.conftest import XSS


def test_list_dags_has_summary_fields(api) -> None:
    reply = api.get("/dags")
    assert reply.status == 200, reply
    assert reply.json["total_entries"] == 2
    by_id = {d["dag_id"]: d for d in reply.json["dags"]}
    pipeline = by_id["pipeline"]
    assert pipeline["owners"] == ["data"]
    assert {"name": "etl"} in pipeline["tags"]
    assert pipeline["schedule_interval"] == "0 0 * * *"
    assert pipeline["timetable_description"] == "At 00:00 (UTC)"  # cron-descriptor, as in Airflow
    assert pipeline["fileloc"] == "pipeline.py"
    assert pipeline["is_paused"] is False
    assert pipeline["next_dagrun"] is not None
    assert by_id["flaky"]["timetable_description"] == "Never, external triggers only"


def test_list_dags_filters_sort_and_pages(api) -> None:
    assert [d["dag_id"] for d in api.get("/dags?tags=ops").json["dags"]] == ["flaky"]
    assert [d["dag_id"] for d in api.get("/dags?owner=data").json["dags"]] == ["pipeline"]
    assert [d["dag_id"] for d in api.get("/dags?search=LOADS").json["dags"]] == ["pipeline"]
    assert [d["dag_id"] for d in api.get("/dags?order_by=-dag_id").json["dags"]] == ["pipeline", "flaky"]
    page = api.get("/dags?limit=1&offset=1").json
    assert page["total_entries"] == 2 and [d["dag_id"] for d in page["dags"]] == ["pipeline"]
    api.patch("/dags/flaky", {"is_paused": True}, role="operator")
    assert [d["dag_id"] for d in api.get("/dags?paused=true").json["dags"]] == ["flaky"]
    assert [d["dag_id"] for d in api.get("/dags?paused=false").json["dags"]] == ["pipeline"]


def test_list_dags_rejects_bad_params(api) -> None:
    for query in ("limit=0", "limit=abc", "limit=100000", "offset=-1", "order_by=secret", "paused=maybe"):
        reply = api.get(f"/dags?{query}")
        assert reply.status == 400, (query, reply)
        assert set(reply.json) == {"error", "detail"}


def test_get_dag_detail_with_docs_params_tasks(api) -> None:
    reply = api.get("/dags/pipeline")
    assert reply.status == 200
    dag = reply.json
    assert dag["doc_md"] == "# Pipeline\n" + XSS
    assert dag["params"]["who"]["description"] == XSS
    assert [t["task_id"] for t in dag["tasks"]] == ["extract", "transform", "publish.load"]
    assert dag["tasks"][1]["retries"] == 2


def test_unknown_dag_is_404_everywhere(api) -> None:
    for path in ("/dags/nope", "/dags/nope/source", "/dags/nope/graph", "/dags/nope/grid", "/dags/nope/dagRuns"):
        reply = api.get(path)
        assert reply.status == 404, (path, reply)
        assert reply.json["error"] == "not_found"
    assert api.patch("/dags/nope", {"is_paused": True}).status == 404


def test_pause_and_unpause(api, stack) -> None:
    reply = api.patch("/dags/pipeline", {"is_paused": True}, role="operator")
    assert reply.status == 200 and reply.json["is_paused"] is True
    assert stack.backend.dags.get("pipeline").is_paused is True
    assert api.patch("/dags/pipeline", {"is_paused": False}).json["is_paused"] is False


def test_pause_body_is_validated(api) -> None:
    for body in ({}, {"is_paused": "yes"}, {"is_paused": True, "owner": "me"}, [True]):
        reply = api.patch("/dags/pipeline", body, role="operator")
        assert reply.status == 400, (body, reply)
    assert api.call("PATCH", "/dags/pipeline", raw="{not json", role="operator").status == 400


def test_source_graph(api) -> None:
    source = api.get("/dags/pipeline/source").json
    assert "TaskGroup" in source["content"] and source["fileloc"] == "pipeline.py"
    graph = api.get("/dags/pipeline/graph").json
    assert {"source_id": "extract", "target_id": "transform"} in graph["edges"]
    assert {"source_id": "transform", "target_id": "publish.load"} in graph["edges"]
    assert graph["task_groups"][0]["group_id"] == "publish"
    assert graph["task_groups"][0]["children"] == ["publish.load"]


def test_grid_shows_runs_by_tasks(api, stack) -> None:
    for n in range(3):
        stack.trigger("pipeline", run_id=f"r{n}")
    stack.drain()
    grid = api.get("/dags/pipeline/grid?limit=2").json
    assert [t["task_id"] for t in grid["tasks"]] == ["extract", "transform", "publish.load"]
    assert [r["dag_run_id"] for r in grid["dag_runs"]] == ["r2", "r1"]
    cell = grid["dag_runs"][0]["task_instances"]["transform"]
    assert cell["state"] == "success" and cell["try_number"] == 1 and cell["duration"] >= 0
    assert api.get("/dags/pipeline/grid?limit=101").status == 400


def test_dag_stats_and_last_run_in_list(api, stack) -> None:
    stack.trigger("pipeline", run_id="one")
    stack.trigger("flaky", run_id="two")
    stack.drain()
    stats = api.get("/dagStats?dag_ids=pipeline,flaky").json["dags"]
    assert {s["dag_id"]: s["stats"] for s in stats} == {
        "pipeline": [{"state": "success", "count": 1}], "flaky": [{"state": "failed", "count": 1}]}
    listed = {d["dag_id"]: d for d in api.get("/dags").json["dags"]}
    assert listed["flaky"]["last_run_state"] == "failed" and listed["flaky"]["last_run_id"] == "two"
    detail = api.get("/dags/flaky").json
    assert detail["recent_run_states"] == {"failed": 1}
    assert detail["latest_run_task_states"] == {"success": 1, "failed": 1, "upstream_failed": 1}
    assert api.get("/dagStats").status == 400


def test_active_runs_counted_in_list(api, stack) -> None:
    stack.trigger("pipeline", run_id="live")
    listed = {d["dag_id"]: d for d in api.get("/dags").json["dags"]}
    assert listed["pipeline"]["active_runs"] == {"running": 1}


def test_import_errors(api) -> None:
    reply = api.get("/importErrors")
    assert reply.status == 200 and reply.json["total_entries"] == 1
    error = reply.json["import_errors"][0]
    assert error["filename"] == "broken.py" and "nonexistent_module_xyz" in error["stack_trace"]
