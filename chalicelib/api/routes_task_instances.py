"""Task instances: list for a run, one (with tries), logs per try, XComs, clear (with downstream), mark."""

from __future__ import annotations

from typing import Any

from chalicelib.api import serializers as out
from chalicelib.api.auth import Role
from chalicelib.api.errors import BadRequest
from chalicelib.api.routes_runs import RUN, clear_result
from chalicelib.api.routing import ApiBlueprint, Request
from chalicelib.api.validation import Body, Field, Query
from chalicelib.core.mapping import split_key
from chalicelib.core.states import TaskState
from chalicelib.services import clearing, costs, dag_views, task_views
from chalicelib.store.errors import NotFoundError

api = ApiBlueprint(__name__, "TaskInstance")
TIS = RUN + "/taskInstances"
TI = TIS + "/{task_id}"


MAP_INDEX = Query("map_index", int, None, -1, 1_000_000,
                  description="a mapped task's instance (-1, the default, for an unmapped task)")


@api.operation("GET", TIS, summary="Task instances of a run (a mapped task's instances one by one)",
               query=(MAP_INDEX,), errors=(404,))
def list_task_instances(req: Request, dag_id: str, dag_run_id: str) -> dict:
    _, spec = dag_views.spec_of(req.backend, dag_id)
    req.backend.runs.get(dag_id, dag_run_id)
    index = spec.task_index()
    items = req.backend.runs.instances(dag_id, dag_run_id)
    plan_items = costs.plan_items(spec, len(items))  # each try's whole-run plan read (core/cost.py)
    if req.query["map_index"] is not None:
        items = [i for i in items if split_key(i.ti_key)[1] == req.query["map_index"]]
    memory = req.backend.settings.worker_memory_mb
    return out.page("task_instances", [out.task_instance(i, index.get(split_key(i.ti_key)[0]), memory, plan_items,
                                                         costs.slotted(spec)) for i in items], len(items))


@api.operation("GET", TI + "/listMapped", summary="The instances of a mapped task, by map_index",
               query=(Query("state", str, None, max_length=40, description="only instances in this state"),
                      Query("limit", int, 100, 1, 10_000), Query("offset", int, 0, 0, 1_000_000)), errors=(404,))
def list_mapped_task_instances(req: Request, dag_id: str, dag_run_id: str, task_id: str) -> dict:
    _, spec = dag_views.spec_of(req.backend, dag_id)
    task = spec.task_index().get(task_id)
    if task is None:
        raise NotFoundError(f"task {task_id!r} not found in DAG {dag_id!r}")
    if task.mapped is None:
        raise NotFoundError(f"task {task_id!r} is not mapped; read it at .../taskInstances/{task_id}")
    req.backend.runs.get(dag_id, dag_run_id)
    items = [i for i in req.backend.runs.instances(dag_id, dag_run_id) if split_key(i.ti_key) [0] == task_id]
    if req.query["state"]:
        items = [i for i in items if (i.state or "none") == req.query["state"]]
    page = items[req.query["offset"]:req.query["offset"] + req.query["limit"]]
    return out.page("task_instances", [out.task_instance(i, task) for i in page], len(items))


@api.operation("GET", TI, summary="One task instance with its tries (?map_index=N for a mapped task's instance)",
               query=(MAP_INDEX,), errors=(404,))
def get_task_instance(req: Request, dag_id: str, dag_run_id: str, task_id: str) -> dict:
    _, spec = dag_views.spec_of(req.backend, dag_id)
    task = spec.task_index().get(task_id)
    map_index = _map_index(req, task, task_id)
    item = req.backend.runs.task_instance(dag_id, dag_run_id, task_id, map_index)
    return out.task_instance_detail(item, task, req.backend.settings.worker_memory_mb, _plan_items(spec), costs.slotted(spec))


def _map_index(req: Request, task: Any, task_id: str) -> int:
    """The instance asked for; like Airflow, a mapped task's instance needs its map_index."""
    map_index = req.query["map_index"]
    if task is not None and task.mapped is not None and (map_index is None or map_index < 0):
        raise NotFoundError(f"task instance {task_id!r} is mapped: add ?map_index=N (see .../{task_id}/listMapped)")
    return -1 if map_index is None else map_index


SPREAD = {"include_upstream": Field(bool), "include_downstream": Field(bool), "include_past": Field(bool),
          "include_future": Field(bool)}


@api.operation("PATCH", TI, summary="Mark a task instance success, failed or skipped (with Airflow's options), "
               "or edit its note", role=Role.OPERATOR, errors=(400, 404, 409), body=Body({
                   "new_state": Field(str, choices=("success", "failed", "skipped")),
                   "note": Field(str, nullable=True, max_length=1000), "dry_run": Field(bool),
                   "map_index": Field(int), **SPREAD}))
def patch_task_instance(req: Request, dag_id: str, dag_run_id: str, task_id: str) -> dict:
    b = req.body
    map_index = -1 if b.get("map_index") is None else b["map_index"]  # a mapped task's instance
    if "new_state" not in b and "note" not in b:
        raise BadRequest("give 'new_state', 'note' or both")
    if "note" in b and not b.get("dry_run"):
        clearing.set_note(req.backend, dag_id, dag_run_id, b["note"], task_id=task_id)
    if "new_state" in b:
        state = TaskState(b["new_state"])
        if any(b.get(k) for k in SPREAD):
            selection = clearing.Selection((task_id,), b.get("include_upstream", False), b.get("include_downstream", False),
                                           b.get("include_past", False), b.get("include_future", False))
            items = clearing.mark_task_instances(req.backend, dag_id, dag_run_id, selection, state,
                                                 dry_run=b.get("dry_run", False), now=req.now)
            return out.page("task_instances", [out.task_instance(i) for i in items], len(items))
        clearing.mark_task_instance(req.backend, dag_id, dag_run_id, task_id, state, dry_run=b.get("dry_run", False),
                                    now=req.now, map_index=map_index)
    _, spec = dag_views.spec_of(req.backend, dag_id)
    item = req.backend.runs.task_instance(dag_id, dag_run_id, task_id, map_index)
    return out.task_instance_detail(item, spec.task_index().get(task_id), req.backend.settings.worker_memory_mb,
                                    _plan_items(spec), costs.slotted(spec))


def _plan_items(spec: Any) -> int:
    """The run size one task's view prices its whole-run plans by, without reading the run: the DAG's task count
    (a mapped task's instances make the run bigger; the run's task list counts them)."""
    return costs.plan_items(spec, len(spec.tasks))


@api.operation("POST", "/dags/{dag_id}/clearTaskInstances", summary="Clear task instances, with Airflow's options",
               role=Role.OPERATOR, errors=(400, 404), body=Body({
                   "dag_run_id": Field(str, required=True, max_length=250, single_line=True),
                   "task_ids": Field(list, nullable=True, max_length=64 * 1024, string_or_pair_items=True,
                                     description="task ids, or [task_id, map_index] for one mapped instance"), **SPREAD,
                   "only_failed": Field(bool), "only_running": Field(bool), "dry_run": Field(bool)}))
def clear_task_instances(req: Request, dag_id: str) -> dict:
    b = req.body
    task_ids, map_indexes = _task_refs(b.get("task_ids"))
    result = clearing.clear_task_instances(
        req.backend, dag_id, b["dag_run_id"], task_ids=task_ids, map_indexes=map_indexes,
        include_downstream=b.get("include_downstream", False),
        include_upstream=b.get("include_upstream", False), include_past=b.get("include_past", False),
        include_future=b.get("include_future", False), only_failed=b.get("only_failed", False),
        only_running=b.get("only_running", False), dry_run=b.get("dry_run", False), now=req.now)
    return clear_result(result)


def _task_refs(refs: list | None) -> tuple[list[str] | None, dict[str, frozenset[int]]]:
    """Airflow's `task_ids`: names, or `[task_id, map_index]` for one instance of a mapped task."""
    if refs is None:
        return None, {}
    names: list[str] = []
    whole: set[str] = set()
    indexes: dict[str, set[int]] = {}
    for ref in refs:
        if isinstance(ref, str):
            whole.add(ref)
        elif (isinstance(ref, list) and len(ref) == 2 and isinstance(ref[0], str) and type(ref[1]) is int
              and 0 <= ref[1] <= 1_000_000):
            indexes.setdefault(ref[0], set()).add(ref[1])
        else:
            raise BadRequest("'task_ids' entries must be task ids or [task_id, map_index] pairs (map_index >= 0)")
        name = ref if isinstance(ref, str) else ref[0]
        if name not in names:
            names.append(name)
    return names, {t: frozenset(i) for t, i in indexes.items() if t not in whole}


@api.operation("GET", TI + "/logs/{try_number}", summary="The log of one try, from a byte offset (for tailing)",
               query=(Query("offset", int, 0, 0, 2**40, description="byte offset to read from"), MAP_INDEX),
               errors=(400, 404))
def get_log(req: Request, dag_id: str, dag_run_id: str, task_id: str, try_number: str) -> dict:
    if not try_number.isdecimal() or len(try_number) > 6:
        raise BadRequest("try_number must be a positive integer")
    _, spec = dag_views.spec_of(req.backend, dag_id)
    map_index = _map_index(req, spec.task_index().get(task_id), task_id)
    chunk = task_views.read_log(req.backend, dag_id, dag_run_id, task_id, int(try_number), req.query["offset"],
                                map_index)
    return {"content": chunk.content, "offset": chunk.offset, "end_of_log": chunk.end_of_log,
            "available": chunk.available, "try_number": int(try_number), "map_index": map_index}


@api.operation("GET", TI + "/renderedFields/{try_number}", summary="The template fields of one try as rendered "
               "(secrets masked)", query=(MAP_INDEX,), errors=(400, 404))
def get_rendered_fields(req: Request, dag_id: str, dag_run_id: str, task_id: str, try_number: str) -> dict:
    if not try_number.isdecimal() or len(try_number) > 6:
        raise BadRequest("try_number must be a positive integer")
    _, spec = dag_views.spec_of(req.backend, dag_id)
    map_index = _map_index(req, spec.task_index().get(task_id), task_id)
    fields = task_views.rendered_fields(req.backend, dag_id, dag_run_id, task_id, int(try_number), map_index)
    return {"try_number": int(try_number), "map_index": map_index, "rendered_fields": fields}


@api.operation("GET", TI + "/xcomEntries", summary="XComs pushed by a task instance", query=(MAP_INDEX,),
               errors=(404,))
def list_xcom_entries(req: Request, dag_id: str, dag_run_id: str, task_id: str) -> dict:
    _, spec = dag_views.spec_of(req.backend, dag_id)
    map_index = _map_index(req, spec.task_index().get(task_id), task_id)
    entries = [out.xcom_entry(x.key, task_id, x.text, x.size, x.truncated, map_index)
               for x in task_views.xcoms(req.backend, dag_id, dag_run_id, task_id, map_index)]
    return out.page("xcom_entries", entries, len(entries))
