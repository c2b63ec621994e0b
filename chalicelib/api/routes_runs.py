"""DAG runs: list, trigger, one run, mark success/failed, delete, clear."""

from __future__ import annotations

from chalicelib.api import serializers as out
from chalicelib.api.auth import Role
from chalicelib.api.errors import BadRequest
from chalicelib.api.routing import ApiBlueprint, Reply, Request
from chalicelib.api.validation import Body, Field, Query, pagination
from chalicelib.core.inputs import MAX_ID_LENGTH
from chalicelib.core.states import RunState
from chalicelib.services import clearing, costs
from chalicelib.services.trigger import trigger_run
from chalicelib.store.readers import ApiReader
from chalicelib.store.runs import StoredRun
from chalicelib.store.settings import Settings

api = ApiBlueprint(__name__, "DAGRun")
RUNS = "/dags/{dag_id}/dagRuns"
RUN = RUNS + "/{dag_run_id}"
RUN_STATES = tuple(s.value for s in RunState)

TRIGGER = Body({
    "conf": Field(dict, nullable=True, max_length=64 * 1024, description="dag_run.conf, checked against the DAG's params"),
    "logical_date": Field(str, nullable=True, date_time=True, max_length=64),
    "dag_run_id": Field(str, nullable=True, max_length=MAX_ID_LENGTH, pattern=Settings.from_env().run_id_pattern,
                        single_line=True,
                        description="Airflow's allowed_run_id_pattern; no '..'; not scheduled__/backfill__..."),
    "note": Field(str, nullable=True, max_length=1000),
}, required=False)


@api.operation("GET", RUNS, summary="Runs of a DAG, newest first", errors=(400, 404), query=(
    *pagination(25, 100), Query("state", choices=RUN_STATES)))
def list_dag_runs(req: Request, dag_id: str) -> dict:
    reader = ApiReader(req.backend.models)
    reader.dag_item(dag_id)  # 404 for an unknown DAG rather than an empty page
    q = req.query
    items = reader.run_items(dag_id, limit=q["limit"], offset=q["offset"], state=q["state"])
    return out.page("dag_runs", [out.dag_run(StoredRun.of(i)) for i in items], reader.count_runs(dag_id, q["state"]))


@api.operation("POST", RUNS, summary="Trigger a DAG run", role=Role.OPERATOR, body=TRIGGER, errors=(400, 404, 409))
def trigger_dag_run(req: Request, dag_id: str) -> dict:
    b = req.body
    run = trigger_run(req.backend, dag_id, now=req.now, conf=b.get("conf"), logical_date=b.get("logical_date"),
                      run_id=b.get("dag_run_id"), note=b.get("note"))
    return out.dag_run(run)


@api.operation("GET", RUN, summary="One DAG run", errors=(404,))
def get_dag_run(req: Request, dag_id: str, dag_run_id: str) -> dict:
    run = req.backend.runs.get(dag_id, dag_run_id)
    items = req.backend.runs.task_instances(dag_id, dag_run_id)
    return out.dag_run(run, costs.run_cost(req.backend, items, costs.spec_or_none(req.backend, dag_id)))


@api.operation("PATCH", RUN, summary="Mark a run success or failed, or edit its note", role=Role.OPERATOR,
               errors=(400, 404), body=Body({"state": Field(str, choices=("success", "failed")),
                                             "note": Field(str, nullable=True, max_length=1000)}))
def patch_dag_run(req: Request, dag_id: str, dag_run_id: str) -> dict:
    if "state" not in req.body and "note" not in req.body:
        raise BadRequest("give 'state', 'note' or both")
    if "note" in req.body:
        clearing.set_note(req.backend, dag_id, dag_run_id, req.body["note"])
    if "state" in req.body:
        return out.dag_run(clearing.set_run_state(req.backend, dag_id, dag_run_id, RunState(req.body["state"]), now=req.now))
    return out.dag_run(req.backend.runs.get(dag_id, dag_run_id))


@api.operation("DELETE", RUN, summary="Delete a run, its task instances, XComs and logs", role=Role.OPERATOR,
               status=204, errors=(404,))
def delete_dag_run(req: Request, dag_id: str, dag_run_id: str) -> Reply:
    clearing.delete_run(req.backend, dag_id, dag_run_id)
    return Reply(None, 204)


@api.operation("POST", RUN + "/clear", summary="Clear a run: re-run its failed (or all) tasks", role=Role.OPERATOR,
               errors=(400, 404), body=Body({"dry_run": Field(bool), "only_failed": Field(bool)}, required=False))
def clear_dag_run(req: Request, dag_id: str, dag_run_id: str) -> dict:
    result = clearing.clear_run(req.backend, dag_id, dag_run_id, only_failed=req.body.get("only_failed", True),
                                dry_run=req.body.get("dry_run", False), now=req.now)
    return clear_result(result)


def clear_result(result: clearing.ClearResult) -> dict:
    return {"task_instances": [out.task_instance(i) for i in result.cleared], "dry_run": result.dry_run,
            "skipped_in_flight": result.skipped_in_flight, "total_entries": len(result.cleared)}
