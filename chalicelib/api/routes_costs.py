"""Costs and previews, beyond Airflow's API: a DAG's cost per day and month, the schedule preview and
cost forecast before unpausing, and the forecast of a backfill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.api.errors import BadRequest
from chalicelib.api.routing import ApiBlueprint, Request
from chalicelib.api.validation import Query
from chalicelib.core import cost
from chalicelib.services import costs, dag_views
from chalicelib.store.timefmt import parse_iso

api = ApiBlueprint(__name__, "Cost")
DAG = "/dags/{dag_id}"


@api.operation("GET", DAG + "/costs", summary="What a DAG's runs cost on AWS, per day and per month (estimated)",
               query=(Query("days", int, 30, 1, 366, description="how far back, by logical date"),), errors=(400, 404))
def get_dag_costs(req: Request, dag_id: str) -> dict:
    _, spec = dag_views.spec_of(req.backend, dag_id)  # 404 for an unknown DAG
    found = costs.dag_costs(req.backend, spec, since=req.now - timedelta(days=req.query["days"]))
    return {"dag_id": dag_id, "currency": "USD", "per_day": found.days, "per_month": found.months,
            "total_usd": cost.rounded(sum(found.days.values())), "runs_counted": found.runs_counted,
            "worker_memory_mb": req.backend.settings.worker_memory_mb}


@api.operation("GET", DAG + "/schedulePreview", summary="Next run times, the catchup runs unpausing would create "
               "now, and what they would cost", query=(Query("count", int, 10, 1, 100, description="next run times"),),
               errors=(400, 404))
def get_schedule_preview(req: Request, dag_id: str) -> dict:
    stored = req.backend.dags.get(dag_id)
    preview = costs.schedule_preview(req.backend, stored.spec, stored.last_automated_logical_date, now=req.now,
                                     count=req.query["count"])
    return {"dag_id": dag_id, "next_run_times": [t.isoformat() for t in preview.next_runs],
            "catchup_runs": preview.catchup_runs, "forecast": _forecast(preview.forecast),
            "seconds_per_task": preview.seconds_per_task}


@api.operation("GET", DAG + "/backfillForecast", summary="How many runs and tasks a backfill creates, and its cost",
               query=(Query("start", max_length=64, description="ISO date"), Query("end", max_length=64, description="ISO date")),
               errors=(400, 404))
def get_backfill_forecast(req: Request, dag_id: str) -> dict:
    start, end = _date(req.query["start"], "start"), _date(req.query["end"], "end")
    if end < start:
        raise BadRequest("'end' is before 'start'")
    stored = req.backend.dags.get(dag_id)
    return {"dag_id": dag_id, "start": start.isoformat(), "end": end.isoformat(),
            **_forecast(costs.backfill_forecast(req.backend, stored.spec, start=start, end=end))}


def _date(value: str | None, name: str) -> datetime:
    if not value:
        raise BadRequest(f"query parameter {name!r} is required (an ISO 8601 date)")
    try:
        parsed = parse_iso(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise BadRequest(f"query parameter {name!r} must be an ISO 8601 date, got {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _forecast(f: cost.Forecast) -> dict:
    return {"runs": f.runs, "tasks": f.tasks, "cost_usd": cost.rounded(f.usd)}
