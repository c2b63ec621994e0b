"""User interventions on runs and task instances: clear (re-run), mark success/failed, delete.

Airflow's semantics: clearing resets task instances to no status with their try number kept and
`max_tries = try_number + retries` (each cleared task gets its retries afresh), puts the run back to
running, and the planner enqueues whatever is ready at once. Marking a task sets its state (only along
the state read, as Airflow lets users mark any task) and lets the run advance. Every write is conditional:
when a worker changes a task between our read and our write, the user gets a 409, never a lost update.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.core.spec import DagSpec
from chalicelib.core.states import FINISHED_TASK_STATES, RunState, TaskState
from chalicelib.services.advance import advance_run
from chalicelib.services.backend import Backend
from chalicelib.store.errors import BadRequestError, ConflictError, NotFoundError
from chalicelib.store.interventions import InterventionRepository
from chalicelib.store.runs import StoredRun

log = logging.getLogger("levante.clearing")
IN_FLIGHT = frozenset({"queued", "running"})
FAILED_LIKE = frozenset({"failed", "upstream_failed"})


@dataclass(frozen=True)
class ClearResult:
    cleared: list[Any]  # task-instance items as they were before the clear
    skipped_in_flight: list[str]  # queued/running: a worker holds them, not cleared
    dry_run: bool


def _load(backend: Backend, dag_id: str, run_id: str) -> tuple[DagSpec, StoredRun]:
    spec = backend.dags.get(dag_id).spec
    return spec, backend.runs.get(dag_id, run_id)


def with_downstream(spec: DagSpec, task_ids: set[str]) -> set[str]:
    found, stack = set(task_ids), list(task_ids)
    while stack:
        for down in spec.task(stack.pop()).downstream:
            if down not in found:
                found.add(down)
                stack.append(down)
    return found


def clear_task_instances(backend: Backend, dag_id: str, run_id: str, *, task_ids: list[str] | None,
                         include_downstream: bool, only_failed: bool, dry_run: bool, now: datetime) -> ClearResult:
    spec, run = _load(backend, dag_id, run_id)
    index = spec.task_index()
    unknown = sorted(set(task_ids or ()) - set(index))
    if unknown:
        raise BadRequestError(f"unknown task id(s) in DAG {dag_id!r}: {', '.join(unknown)}")
    wanted = set(task_ids) if task_ids else set(index)
    if include_downstream:
        wanted = with_downstream(spec, wanted)
    items = [i for i in backend.runs.task_instances(dag_id, run_id) if i.task_id in wanted]
    if only_failed:
        items = [i for i in items if i.state in FAILED_LIKE]
    busy = sorted(i.task_id for i in items if i.state in IN_FLIGHT)
    items = sorted((i for i in items if i.state not in IN_FLIGHT), key=lambda i: i.task_id)
    if dry_run or not items:
        return ClearResult(items, busy, dry_run)
    repo = InterventionRepository(backend.models)
    cleared = []
    for item in items:
        if repo.clear_task(item, index[item.task_id].retry.retries, now):
            cleared.append(item)
        else:
            busy.append(item.task_id)  # picked up or changed between our read and the write
    if cleared:
        repo.reopen_run(dag_id, run_id, now)
        advance_run(backend, spec, backend.runs.get(dag_id, run_id), now)
    return ClearResult(cleared, sorted(busy), False)


def clear_run(backend: Backend, dag_id: str, run_id: str, *, only_failed: bool, dry_run: bool,
              now: datetime) -> ClearResult:
    return clear_task_instances(backend, dag_id, run_id, task_ids=None, include_downstream=False,
                                only_failed=only_failed, dry_run=dry_run, now=now)


def mark_task_instance(backend: Backend, dag_id: str, run_id: str, task_id: str, new_state: TaskState, *,
                       dry_run: bool, now: datetime) -> Any:
    spec, run = _load(backend, dag_id, run_id)
    if task_id not in spec.task_index():
        raise NotFoundError(f"task {task_id!r} not found in DAG {dag_id!r}")
    item = backend.runs.task_instance(dag_id, run_id, task_id)
    current = TaskState(item.state or "none")
    if current is new_state or dry_run:
        return item
    if not InterventionRepository(backend.models).set_task_state(item, new_state, now):
        raise ConflictError(f"task instance {task_id!r} changed while being marked; read it again")
    if not run.state.finished:
        advance_run(backend, spec, backend.runs.get(dag_id, run_id), now)
    return backend.runs.task_instance(dag_id, run_id, task_id)


def set_run_state(backend: Backend, dag_id: str, run_id: str, state: RunState, *, now: datetime) -> StoredRun:
    """Mark a run success (every task success) or failed (running tasks failed, not-started ones skipped)."""
    if not state.finished:
        raise BadRequestError("a run can be marked success or failed; to re-run it, clear it")
    spec, run = _load(backend, dag_id, run_id)
    repo = InterventionRepository(backend.models)
    for item in backend.runs.task_instances(dag_id, run_id):
        target = _mark_target(item.state or "none", state)
        if target is not None and not repo.set_task_state(item, target, now):
            log.info("task %s of %s/%s changed while marking the run; left as is", item.task_id, dag_id, run_id)
    if repo.set_run_state(dag_id, run_id, state, now):
        backend.dags.record_last_run(dag_id, run_id, state.value, now)
    return backend.runs.get(dag_id, run_id)


def _mark_target(current: str, run_state: RunState) -> TaskState | None:
    if run_state is RunState.SUCCESS:
        return None if current == "success" else TaskState.SUCCESS
    if TaskState(current) in FINISHED_TASK_STATES:
        return None
    return TaskState.FAILED if current in IN_FLIGHT else TaskState.SKIPPED


def delete_run(backend: Backend, dag_id: str, run_id: str) -> int:
    backend.runs.get(dag_id, run_id)  # 404 when missing
    deleted = InterventionRepository(backend.models).delete_run(dag_id, run_id)
    _delete_logs(backend, dag_id, run_id)
    return deleted


def _delete_logs(backend: Backend, dag_id: str, run_id: str) -> None:
    client, bucket = backend.blobs.client, backend.settings.bucket
    prefix = f"logs/dag_id={dag_id}/run_id={run_id}/"
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


__all__ = ["ClearResult", "clear_run", "clear_task_instances", "mark_task_instance", "set_run_state", "delete_run",
           "ConflictError"]
