"""Airflow 3's run actions through the API: clear with upstream/past/future/only running, mark with
downstream resume, notes on runs and task instances, the try's own outcome kept after a mark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.conftest import run_path

OLD, NEW = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)


def _ti(dag: str, run: str, task: str) -> str:
    return run_path(dag, run) + f"/taskInstances/{task}"


def test_mark_success_resumes_upstream_failed_downstream_and_keeps_the_try_outcome(api, stack) -> None:
    stack.trigger("flaky", run_id="m")
    stack.drain()
    assert stack.backend.runs.task_instance("flaky", "m", "after").state == "upstream_failed"
    reply = api.patch(_ti("flaky", "m", "boom"), {"new_state": "success"}, role="operator")
    assert reply.status == 200 and reply.json["state"] == "success", reply
    assert reply.json["marked_from"] == "failed"
    assert reply.json["tries"] == [{"try_number": 1, "current": True, "state": "failed"}]  # the try failed
    assert stack.backend.runs.task_instance("flaky", "m", "after").state == "queued"  # resumed, as Airflow does
    stack.drain()
    assert api.get(run_path("flaky", "m")).json["state"] == "success"
    api.post("/dags/flaky/clearTaskInstances", {"dag_run_id": "m", "task_ids": ["boom"]}, role="operator")
    assert api.get(_ti("flaky", "m", "boom")).json["marked_from"] is None  # cleared: the mark is history


def test_mark_with_downstream_dry_run_lists_and_changes_nothing(api, stack) -> None:
    stack.trigger("flaky", run_id="d")
    stack.drain()
    body = {"new_state": "skipped", "include_downstream": True, "dry_run": True}
    listed = api.patch(_ti("flaky", "d", "boom"), body, role="operator").json
    assert sorted(t["task_id"] for t in listed["task_instances"]) == ["after", "boom"]
    assert stack.backend.runs.task_instance("flaky", "d", "boom").state == "failed"


def test_clear_with_upstream_and_with_past_and_future(api, stack) -> None:
    for run_id, date in (("old", OLD), ("new", NEW)):
        stack.trigger("flaky", run_id=run_id, logical_date=date)
    stack.drain()
    body = {"dag_run_id": "new", "task_ids": ["boom"], "include_upstream": True, "dry_run": True}
    up = api.post("/dags/flaky/clearTaskInstances", body, role="operator").json
    assert sorted(t["task_id"] for t in up["task_instances"]) == ["boom", "first"]
    past = api.post("/dags/flaky/clearTaskInstances", {**body, "include_upstream": False, "include_past": True},
                    role="operator").json
    assert sorted((t["dag_run_id"], t["task_id"]) for t in past["task_instances"]) == [("new", "boom"), ("old", "boom")]
    future = api.post("/dags/flaky/clearTaskInstances", {**body, "dag_run_id": "old", "include_upstream": False,
                                                          "include_future": True}, role="operator").json
    assert sorted(t["dag_run_id"] for t in future["task_instances"]) == ["new", "old"]
    running = api.post("/dags/flaky/clearTaskInstances", {"dag_run_id": "new", "only_running": True, "dry_run": True},
                       role="operator").json
    assert running["task_instances"] == []  # nothing is running


def test_notes_on_runs_and_task_instances(api, stack) -> None:
    stack.trigger("flaky", run_id="n")
    assert api.patch(run_path("flaky", "n"), {"note": "looked at it"}, role="operator").json["note"] == "looked at it"
    assert api.get(run_path("flaky", "n")).json["note"] == "looked at it"
    assert api.patch(run_path("flaky", "n"), {}, role="operator").status == 400
    assert api.patch(run_path("flaky", "n"), {"note": "x" * 1001}, role="operator").status == 400
    assert api.patch(run_path("flaky", "n"), {"note": "v"}, role="viewer").status == 403
    assert api.patch(_ti("flaky", "n", "first"), {"note": "slow"}, role="operator").json["note"] == "slow"
    assert api.patch(_ti("flaky", "n", "first"), {"note": None}, role="operator").json["note"] is None
    assert api.patch(_ti("flaky", "nope", "first"), {"note": "x"}, role="operator").status == 404


def test_monitoring_sends_an_hour_of_minutes(api, stack) -> None:
    from chalicelib.store.stats import StatsRepository, minute_key

    now = datetime.now(UTC)
    StatsRepository(stack.backend.models).add(minute_key(now), finished=3, failed=1, retried=0, at=now)
    series = api.get("/monitoring").json["throughput"]["series"]
    assert len(series) == 60 and all(p["minute"].endswith(":00+00:00") for p in series)
    counted = [p for p in series if p["finished"]]
    assert counted == [{"minute": f"{minute_key(now)}:00+00:00", "finished": 3, "failed": 1}]


def test_runs_and_task_instances_carry_their_cost(api, stack) -> None:
    from chalicelib.core.cost import TaskTries, run_cost, task_cost

    stack.trigger("pipeline", run_id="cost")
    stack.drain()
    tis = api.get(run_path("pipeline", "cost") + "/taskInstances").json["task_instances"]
    memory = stack.backend.settings.worker_memory_mb
    # A try handed off to its upstream's worker (queued when it started) costs no message or invocation of its own
    costed = [TaskTries(t["try_number"], t["duration"], t["queued_when"] == t["start_date"]) for t in tis]
    assert any(t.handed_off for t in costed) and not all(t.handed_off for t in costed)
    for ti, tries in zip(tis, costed, strict=True):
        assert ti["cost_usd"] == pytest.approx(task_cost(tries, memory), rel=1e-4)
    run = api.get(run_path("pipeline", "cost")).json
    assert run["cost_usd"] == pytest.approx(run_cost(costed, memory), rel=1e-4)
    assert 0 < run["cost_usd"] < 0.001
    grid_run = api.get("/dags/pipeline/grid").json["dag_runs"][0]
    assert grid_run["cost_usd"] == pytest.approx(run["cost_usd"])
    costs = api.get("/dags/pipeline/costs?days=30").json
    assert costs["total_usd"] == pytest.approx(run["cost_usd"]) and costs["runs_counted"] == 1
    assert list(costs["per_month"].values()) == [pytest.approx(run["cost_usd"])]


def test_schedule_preview_and_backfill_forecast(api, stack) -> None:
    preview = api.get("/dags/pipeline/schedulePreview?count=3").json  # @daily since 2024-01-01, catchup off
    times = [datetime.fromisoformat(t) for t in preview["next_run_times"]]
    assert len(times) == 3 and all(b - a == timedelta(days=1) for a, b in zip(times, times[1:]))
    assert times[0] > datetime.now(UTC)
    assert preview["catchup_runs"] == 1  # without catchup, unpausing creates only the latest interval's run
    assert preview["forecast"]["runs"] == 1 and preview["forecast"]["tasks"] == 3
    backfill = api.get("/dags/pipeline/backfillForecast?start=2024-01-01&end=2024-12-31").json
    assert (backfill["runs"], backfill["tasks"]) == (366, 1098) and backfill["cost_usd"] > 0
    assert api.get("/dags/pipeline/backfillForecast?start=2024-02-01&end=2024-01-01").status == 400
    assert api.get("/dags/pipeline/backfillForecast?start=yesterday&end=2024-01-01").status == 400
    assert api.get("/dags/nope/schedulePreview").status == 404


SLOT_LIMITED = '''
import pendulum
from airflow.sdk import DAG, task

with DAG("narrow", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), max_active_tasks=2) as dag:
    @task
    def root():
        return 1

    @task
    def leaf(x, i):
        return x + i

    r = root()
    for i in range(4):
        leaf.override(task_id=f"leaf_{i}")(r, i)
'''


def test_a_dag_wider_than_its_slots_is_priced_with_its_slot_handovers(api, stack, dags_folder) -> None:
    """Four leaves, two slots: each try hands its slot on through the run's waiting list (services/slot_gate.py),
    which the run's and its tasks' costs include (core/cost.py SLOT_HANDOVER), and reads no whole run."""
    from chalicelib.core.cost import TaskTries, run_cost, task_cost

    (dags_folder / "narrow.py").write_text(SLOT_LIMITED)
    stack.sync()
    stack.trigger("narrow", run_id="wide")
    stack.drain()
    tis = api.get(run_path("narrow", "wide") + "/taskInstances").json["task_instances"]
    assert len(tis) == 5 and {t["state"] for t in tis} == {"success"}
    memory = stack.backend.settings.worker_memory_mb
    costed = [TaskTries(t["try_number"], t["duration"], t["queued_when"] == t["start_date"]) for t in tis]
    for ti, tries in zip(tis, costed, strict=True):
        assert ti["cost_usd"] == pytest.approx(task_cost(tries, memory, slotted=True), rel=1e-4)
        assert ti["cost_usd"] > task_cost(tries, memory)
    run = api.get(run_path("narrow", "wide")).json
    assert run["cost_usd"] == pytest.approx(run_cost(costed, memory, slotted=True), rel=1e-4)
    assert run["cost_usd"] > run_cost(costed, memory) * 1.02  # the plan reads are priced, not left out
    assert api.get("/dags/narrow/grid").json["dag_runs"][0]["cost_usd"] == pytest.approx(run["cost_usd"])
    assert api.get("/dags/narrow/costs?days=30").json["total_usd"] == pytest.approx(run["cost_usd"])
    one = api.get(run_path("narrow", "wide") + "/taskInstances/leaf_0").json
    assert one["cost_usd"] == pytest.approx(next(t for t in tis if t["task_id"] == "leaf_0")["cost_usd"])
