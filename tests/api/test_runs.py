"""DAG run routes: list, trigger (validation, mass assignment, conflicts), get, mark, delete, clear."""

from __future__ import annotations

from tests.api.conftest import XSS, run_path


def test_trigger_then_get_and_list(api, stack) -> None:
    reply = api.post("/dags/pipeline/dagRuns", {"conf": {"who": "you"}, "dag_run_id": "manual-1", "note": "hi",
                                                "logical_date": "2024-05-01T00:00:00Z"}, role="operator")
    assert reply.status == 200, reply
    run = reply.json
    assert run["dag_run_id"] == "manual-1" and run["state"] == "running" and run["conf"] == {"who": "you"}
    assert run["logical_date"] == "2024-05-01T00:00:00+00:00" and run["note"] == "hi"
    stack.drain()
    got = api.get(run_path("pipeline", "manual-1")).json
    assert got["state"] == "success" and got["end_date"] is not None
    listed = api.get("/dags/pipeline/dagRuns").json
    assert listed["total_entries"] == 1 and listed["dag_runs"][0]["dag_run_id"] == "manual-1"


def test_trigger_with_empty_body_and_generated_id(api) -> None:
    reply = api.post("/dags/pipeline/dagRuns", role="operator")
    assert reply.status == 200, reply
    assert reply.json["dag_run_id"].startswith("manual__")
    run_id = reply.json["dag_run_id"]
    assert api.get(run_path("pipeline", run_id)).json["dag_run_id"] == run_id  # '+' and ':' survive the path


def test_runs_listed_newest_first_paged_and_filtered(api, stack) -> None:
    for n in range(4):
        stack.trigger("flaky", run_id=f"r{n}")
    stack.drain()
    page = api.get("/dags/flaky/dagRuns?limit=2&offset=1").json
    assert page["total_entries"] == 4
    assert [r["dag_run_id"] for r in page["dag_runs"]] == ["r2", "r1"]
    assert api.get("/dags/flaky/dagRuns?state=success").json["total_entries"] == 0
    assert api.get("/dags/flaky/dagRuns?state=failed").json["total_entries"] == 4
    assert api.get("/dags/flaky/dagRuns?state=bogus").status == 400


def test_trigger_rejects_mass_assignment_and_bad_types(api) -> None:
    for body in ({"state": "success"}, {"conf": {}, "try_number": 3}, {"owner": "me"}, {"run_type": "scheduled"},
                 {"conf": "not an object"}, {"conf": [1]}, {"logical_date": "yesterday"},
                 {"logical_date": "2024-01-01T00:00:00"}, {"dag_run_id": 12}, {"dag_run_id": "x" * 251},
                 {"note": "n" * 1001}):
        reply = api.post("/dags/pipeline/dagRuns", body, role="operator")
        assert reply.status == 400, (body, reply)
        assert reply.json["error"] == "bad_request" and reply.json["detail"]


def test_trigger_checks_conf_against_params_and_sizes(api) -> None:
    assert api.post("/dags/pipeline/dagRuns", {"conf": {"who": 5}}, role="operator").status == 400
    huge = {"conf": {"blob": "x" * (70 * 1024)}}
    assert api.post("/dags/pipeline/dagRuns", huge, role="operator").status == 400
    too_big = api.call("POST", "/dags/pipeline/dagRuns", raw='{"note": "' + "x" * (300 * 1024) + '"}', role="operator")
    assert too_big.status == 413
    assert api.post("/dags/pipeline/dagRuns", {"dag_run_id": "a#b"}, role="operator").status == 400


def test_trigger_conflict_and_unknown_dag(api) -> None:
    assert api.post("/dags/pipeline/dagRuns", {"dag_run_id": "same"}, role="operator").status == 200
    reply = api.post("/dags/pipeline/dagRuns", {"dag_run_id": "same"}, role="operator")
    assert reply.status == 409 and reply.json["error"] == "conflict"
    assert api.post("/dags/nope/dagRuns", {}, role="operator").status == 404
    assert api.get(run_path("pipeline", "missing")).status == 404


def test_conf_with_xss_comes_back_verbatim(api) -> None:
    reply = api.post("/dags/flaky/dagRuns", {"conf": {"html": XSS}, "note": XSS, "dag_run_id": "x"}, role="operator")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert "<script>" not in reply.text  # escaped as \u003c in the JSON text ...
    got = api.get(run_path("flaky", "x")).json
    assert got["conf"] == {"html": XSS} and got["note"] == XSS  # ... and equal once decoded


def test_mark_run_failed_and_success(api, stack) -> None:
    stack.trigger("pipeline", run_id="m")
    reply = api.patch(run_path("pipeline", "m"), {"state": "failed"}, role="operator")
    assert reply.status == 200 and reply.json["state"] == "failed"
    states = stack.states("pipeline", "m")
    assert states["extract"][0] == "failed" and states["transform"][0] == "skipped"
    assert api.get("/dags").json["dags"][1]["last_run_state"] == "failed"
    assert api.patch(run_path("pipeline", "m"), {"state": "success"}, role="operator").json["state"] == "success"
    assert set(s for s, _ in stack.states("pipeline", "m").values()) == {"success"}
    assert api.patch(run_path("pipeline", "m"), {"state": "running"}, role="operator").status == 400
    assert api.patch(run_path("pipeline", "zz"), {"state": "failed"}, role="operator").status == 404


def test_delete_run_removes_it_and_its_task_instances(api, stack) -> None:
    stack.trigger("pipeline", run_id="gone")
    stack.drain()
    reply = api.delete(run_path("pipeline", "gone"), role="operator")
    assert reply.status == 204 and reply.text == ""
    assert api.get(run_path("pipeline", "gone")).status == 404
    assert stack.backend.runs.task_instances("pipeline", "gone") == []
    assert api.delete(run_path("pipeline", "gone"), role="operator").status == 404


def test_clear_failed_run_reruns_failed_tasks(api, stack, monkeypatch) -> None:
    stack.trigger("flaky", run_id="c")
    stack.drain()
    assert api.get(run_path("flaky", "c")).json["state"] == "failed"
    dry = api.post(run_path("flaky", "c") + "/clear", {"dry_run": True}, role="operator").json
    assert sorted(t["task_id"] for t in dry["task_instances"]) == ["after", "boom"]
    assert stack.states("flaky", "c")["boom"] == ("failed", 1)
    monkeypatch.setenv("LEVANTE_TEST_BOOM_OK", "1")
    reply = api.post(run_path("flaky", "c") + "/clear", {}, role="operator")
    assert reply.status == 200 and reply.json["dry_run"] is False
    assert api.get(run_path("flaky", "c")).json["state"] == "running"
    stack.drain()
    assert api.get(run_path("flaky", "c")).json["state"] == "success"
    assert stack.states("flaky", "c") == {"first": ("success", 1), "boom": ("success", 2), "after": ("success", 1)}
    assert api.post(run_path("flaky", "c") + "/clear", {"bogus": 1}, role="operator").status == 400


def test_a_paused_dags_triggered_run_is_queued_and_starts_once_unpaused(api, stack) -> None:
    """As in Airflow 3: the API creates the run `queued`; the scheduler leaves it until the DAG is unpaused."""
    assert api.patch("/dags/pipeline", {"is_paused": True}, role="operator").status == 200
    reply = api.post("/dags/pipeline/dagRuns", {"dag_run_id": "while-paused"}, role="operator")
    assert reply.status == 200, reply
    assert reply.json["state"] == "queued"
    stack.tick()
    assert stack.drain() == 0  # no task was sent
    assert api.get(run_path("pipeline", "while-paused")).json["state"] == "queued"

    assert api.patch("/dags/pipeline", {"is_paused": False}, role="operator").status == 200
    assert stack.tick().runs_started == ["pipeline/while-paused"]
    stack.drain()
    assert api.get(run_path("pipeline", "while-paused")).json["state"] == "success"
