"""DAGs: list, one DAG, pause/unpause, source, graph, grid, run statistics, import errors."""

from __future__ import annotations

from chalicelib.api import serializers as out
from chalicelib.api.auth import Role
from chalicelib.api.errors import BadRequest
from chalicelib.api.routing import ApiBlueprint, Request
from chalicelib.api.validation import Body, Field, Query, pagination
from chalicelib.services import costs, dag_views
from chalicelib.store.readers import ApiReader

api = ApiBlueprint(__name__, "DAG")
DAG_ID = "{dag_id}"


@api.operation("GET", "/dags", summary="List DAGs (filter, sort, paginate)", query=(
    *pagination(100, 500),
    Query("tags", description="comma-separated; a DAG matches if it has any of them", max_length=1000),
    Query("owner"), Query("paused", bool), Query("only_active", bool, True),
    Query("search", description="case-insensitive text in dag_id, description or tags"),
    Query("order_by", default="dag_id", choices=dag_views.SORT_KEYS),
))
def list_dags(req: Request) -> dict:
    q = req.query
    tags = tuple(t.strip() for t in (q["tags"] or "").split(",") if t.strip())
    flt = dag_views.DagFilter(tags, q["owner"], q["paused"], q["search"], q["only_active"])
    rows, total = dag_views.list_dags(req.backend, flt, order_by=q["order_by"], limit=q["limit"], offset=q["offset"])
    return out.page("dags", [out.dag_summary(r.item, r.spec, r.active_runs) for r in rows], total)


@api.operation("GET", f"/dags/{DAG_ID}", summary="One DAG with its docs, params and tasks", errors=(404,))
def get_dag(req: Request, dag_id: str) -> dict:
    detail = dag_views.get_dag(req.backend, dag_id)
    return {**out.dag_detail(detail.item, detail.spec), "recent_run_states": detail.recent_run_states,
            "latest_run_task_states": detail.latest_task_states}


@api.operation("PATCH", f"/dags/{DAG_ID}", summary="Pause or unpause a DAG", role=Role.OPERATOR,
               body=Body({"is_paused": Field(bool, required=True)}), errors=(400, 404))
def patch_dag(req: Request, dag_id: str) -> dict:
    req.backend.dags.set_paused(dag_id, req.body["is_paused"], req.now)
    item, spec = dag_views.spec_of(req.backend, dag_id)
    return out.dag_summary(item, spec)


@api.operation("GET", f"/dags/{DAG_ID}/source", summary="The DAG file's source code", errors=(404,))
def get_dag_source(req: Request, dag_id: str) -> dict:
    item = ApiReader(req.backend.models).dag_item(dag_id)
    return {"dag_id": dag_id, "fileloc": item.relpath, "file_token": item.source_hash,
            "content": req.backend.dags.specs.source_of_item(item)}


@api.operation("GET", f"/dags/{DAG_ID}/graph", summary="Tasks, edges and task groups", errors=(404,))
def get_dag_graph(req: Request, dag_id: str) -> dict:
    _, spec = dag_views.spec_of(req.backend, dag_id)
    return dag_views.graph(spec)


@api.operation("GET", f"/dags/{DAG_ID}/grid", summary="The latest runs × tasks, with states and durations",
               query=(Query("limit", int, 25, 1, 100, description="number of runs"),), errors=(404,))
def get_dag_grid(req: Request, dag_id: str) -> dict:
    grid = dag_views.grid(req.backend, dag_id, limit=req.query["limit"])
    index = grid.spec.task_index()
    return {
        "dag_id": dag_id,
        "tasks": [{"task_id": t, "task_group_id": index[t].task_group, "operator": index[t].operator,
                   "is_mapped": index[t].mapped is not None} for t in grid.task_order],
        "task_groups": [{"group_id": g.group_id, "parent_group_id": g.parent, "children": list(g.children)}
                        for g in grid.spec.task_groups],
        "dag_runs": [{**out.dag_run(run, costs.run_cost(req.backend, [i for items in tis.values() for i in items], grid.spec)),
                      "task_instances": {t: out.grid_cell(tis[t]) for t in grid.task_order if t in tis}}
                     for run, tis in grid.runs],
    }


@api.operation("GET", "/dagStats", summary="Run counts by state over each DAG's latest runs", query=(
    Query("dag_ids", description="comma-separated, at most 100", max_length=25_000),
    Query("recent", int, 25, 1, 100, description="how many latest runs per DAG"),
), errors=(400,))
def get_dag_stats(req: Request) -> dict:
    dag_ids = [d.strip() for d in (req.query["dag_ids"] or "").split(",") if d.strip()]
    if not dag_ids or len(dag_ids) > 100:
        raise BadRequest("dag_ids must name 1 to 100 DAGs, comma-separated")
    stats = dag_views.dag_stats(req.backend, dag_ids, req.query["recent"])
    items = [{"dag_id": d, "stats": [{"state": s, "count": n} for s, n in sorted(counts.items())]}
             for d, counts in stats.items()]
    return out.page("dags", items, len(items))


@api.operation("GET", "/importErrors", summary="DAG files that failed to import", query=pagination(100, 500))
def list_import_errors(req: Request) -> dict:
    errors = sorted(ApiReader(req.backend.models).import_error_items(), key=lambda e: e.get("filename", ""))
    page = errors[req.query["offset"]:req.query["offset"] + req.query["limit"]]
    items = [{"import_error_id": e.get("filename"), "filename": e.get("filename"), "lineno": e.get("lineno"),
              "message": e.get("message"), "stack_trace": e.get("traceback"), "timestamp": e.get("timestamp")}
             for e in page]
    return out.page("import_errors", items, len(errors))
