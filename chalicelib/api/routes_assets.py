"""Assets and asset events, named as Airflow's REST API names them (`/assets`, `/assets/events`)."""

from __future__ import annotations

from chalicelib.api import serializers as out
from chalicelib.api.routing import ApiBlueprint, Request
from chalicelib.api.validation import Query
from chalicelib.services import asset_views

api = ApiBlueprint(__name__, "Asset")


@api.operation("GET", "/assets", summary="Assets with their producing tasks, consuming DAGs and latest event",
               query=(Query("uri_pattern", str, None, max_length=500, description="text in the uri or name"),))
def list_assets(req: Request) -> dict:
    assets = [out.asset(a) for a in asset_views.list_assets(req.backend, uri_pattern=req.query["uri_pattern"])]
    return out.page("assets", assets, len(assets))


@api.operation("GET", "/assets/events", summary="Asset events, newest first", query=(
    Query("uri", str, None, max_length=1500, description="only this asset's events"),
    Query("source_dag_id", str, None, max_length=250, description="only events a task of this DAG recorded"),
    Query("limit", int, 100, 1, 1000)))
def list_asset_events(req: Request) -> dict:
    q = req.query
    events = asset_views.list_events(req.backend, uri=q["uri"], source_dag_id=q["source_dag_id"], limit=q["limit"])
    return out.page("asset_events", [out.asset_event(e) for e in events], len(events))
