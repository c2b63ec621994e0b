"""Task instances: list for a run, one (with tries), logs per try, XComs, clear (with downstream), mark."""

from __future__ import annotations

from chalicelib.api import serializers as out
from chalicelib.api.auth import Role
from chalicelib.api.errors import BadRequest
from chalicelib.api.routes_runs import RUN, clear_result
from chalicelib.api.routing import ApiBlueprint, Request
from chalicelib.api.validation import Body, Field, Query
from chalicelib.core.states import TaskState
from chalicelib.services import clearing, dag_views, task_views

api = ApiBlueprint(__name__, "TaskInstance")
TIS = RUN + "/taskInstances"
TI = TIS + "/{task_id}"


@api.operation("GET", TIS, summary="Task instances of a run", errors=(404,))
def list_task_instances(req: Request, dag_id: str, dag_run_id: str) -> dict:
    _, spec = dag_views.spec_of(req.backend, dag_id)
    req.backend.runs.get(dag_id, dag_run_id)
    index = spec.task_index()
    items = sorted(req.backend.runs.task_instances(dag_id, dag_run_id), key=lambda i: i.task_id)
    return out.page("task_instances", [out.task_instance(i, index.get(i.task_id)) for i in items], len(items))


@api.operation("GET", TI, summary="One task instance with its tries", errors=(404,))
def get_task_instance(req: Request, dag_id: str, dag_run_id: str, task_id: str) -> dict:
    _, spec = dag_views.spec_of(req.backend, dag_id)
    item = req.backend.runs.task_instance(dag_id, dag_run_id, task_id)
    return out.task_instance_detail(item, spec.task_index().get(task_id))


@api.operation("PATCH", TI, summary="Mark a task instance success, failed or skipped", role=Role.OPERATOR,
               errors=(400, 404, 409), body=Body({
                   "new_state": Field(str, required=True, choices=("success", "failed", "skipped")),
                   "dry_run": Field(bool)}))
def patch_task_instance(req: Request, dag_id: str, dag_run_id: str, task_id: str) -> dict:
    item = clearing.mark_task_instance(req.backend, dag_id, dag_run_id, task_id, TaskState(req.body["new_state"]),
                                       dry_run=req.body.get("dry_run", False), now=req.now)
    return out.task_instance(item)


@api.operation("POST", "/dags/{dag_id}/clearTaskInstances", summary="Clear task instances (optionally downstream)",
               role=Role.OPERATOR, errors=(400, 404), body=Body({
                   "dag_run_id": Field(str, required=True, max_length=250),
                   "task_ids": Field(list, nullable=True, max_length=64 * 1024),
                   "include_downstream": Field(bool), "only_failed": Field(bool), "dry_run": Field(bool)}))
def clear_task_instances(req: Request, dag_id: str) -> dict:
    b = req.body
    task_ids = b.get("task_ids")
    if task_ids is not None and not all(isinstance(t, str) for t in task_ids):
        raise BadRequest("'task_ids' must be a list of strings")
    result = clearing.clear_task_instances(
        req.backend, dag_id, b["dag_run_id"], task_ids=task_ids, include_downstream=b.get("include_downstream", False),
        only_failed=b.get("only_failed", False), dry_run=b.get("dry_run", False), now=req.now)
    return clear_result(result)


@api.operation("GET", TI + "/logs/{try_number}", summary="The log of one try, from a byte offset (for tailing)",
               query=(Query("offset", int, 0, 0, 2**40, description="byte offset to read from"),), errors=(400, 404))
def get_log(req: Request, dag_id: str, dag_run_id: str, task_id: str, try_number: str) -> dict:
    if not try_number.isdigit() or len(try_number) > 6:
        raise BadRequest("try_number must be a positive integer")
    chunk = task_views.read_log(req.backend, dag_id, dag_run_id, task_id, int(try_number), req.query["offset"])
    return {"content": chunk.content, "offset": chunk.offset, "end_of_log": chunk.end_of_log,
            "available": chunk.available, "try_number": int(try_number)}


@api.operation("GET", TI + "/xcomEntries", summary="XComs pushed by a task instance", errors=(404,))
def list_xcom_entries(req: Request, dag_id: str, dag_run_id: str, task_id: str) -> dict:
    entries = [out.xcom_entry(key, task_id, text) for key, text in task_views.xcoms(req.backend, dag_id, dag_run_id, task_id)]
    return out.page("xcom_entries", entries, len(entries))
