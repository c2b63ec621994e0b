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

from chalicelib.core.edges import slots_bind
from chalicelib.core.mapping import split_key
from chalicelib.core.spec import DagSpec
from chalicelib.core.states import FINISHED_TASK_STATES, RunState, TaskState
from chalicelib.services.backend import Backend
from chalicelib.services.plan_executor import advance_run
from chalicelib.store.blobs import run_log_prefix, run_xcom_prefix
from chalicelib.store.errors import BadRequestError, ConflictError, NotFoundError
from chalicelib.store.interventions import InterventionRepository
from chalicelib.store.readers import ApiReader
from chalicelib.store.runs import StoredRun
from chalicelib.store.slots import RunSlots

log = logging.getLogger("levante.clearing")
IN_FLIGHT = frozenset({TaskState.QUEUED, TaskState.RUNNING})
FAILED_LIKE = frozenset({TaskState.FAILED, TaskState.UPSTREAM_FAILED})


@dataclass(frozen=True)
class ClearResult:
    cleared: list[Any]  # task-instance items as they were before the clear
    skipped_in_flight: list[str]  # queued/running: a worker holds them, not cleared
    dry_run: bool


def _load(backend: Backend, dag_id: str, run_id: str) -> tuple[DagSpec, StoredRun]:
    spec = backend.dags.get(dag_id).spec
    return spec, backend.runs.get(dag_id, run_id)


def with_downstream(spec: DagSpec, task_ids: set[str]) -> set[str]:
    return _closure(spec, task_ids, lambda t: spec.task(t).downstream)


def with_upstream(spec: DagSpec, task_ids: set[str]) -> set[str]:
    return _closure(spec, task_ids, lambda t: spec.task(t).upstream)


def _closure(spec: DagSpec, task_ids: set[str], step) -> set[str]:
    found, stack = set(task_ids), list(task_ids)
    while stack:
        for other in step(stack.pop()):
            if other not in found:
                found.add(other)
                stack.append(other)
    return found


@dataclass(frozen=True)
class Selection:
    """Airflow's options for which task instances an action reaches, around the tasks named."""

    task_ids: tuple[str, ...] | None = None  # None: every task of the DAG
    upstream: bool = False
    downstream: bool = False
    past: bool = False  # the same tasks in runs with an earlier logical date
    future: bool = False  # ... and a later one

    def tasks(self, spec: DagSpec) -> set[str]:
        index = spec.task_index()
        unknown = sorted(set(self.task_ids or ()) - set(index))
        if unknown:
            raise BadRequestError(f"unknown task id(s) in DAG {spec.dag_id!r}: {', '.join(unknown)}")
        wanted = set(self.task_ids) if self.task_ids else set(index)
        if self.upstream:
            wanted = with_upstream(spec, wanted)
        if self.downstream:
            wanted = with_downstream(spec, wanted)
        return wanted

    def runs(self, backend: Backend, run: StoredRun) -> list[StoredRun]:
        if not (self.past or self.future):
            return [run]
        others = backend.runs.list(run.dag_id, limit=MAX_RUNS_REACHED)
        return [r for r in others if r.run_id == run.run_id
                or (self.past and r.logical_date < run.logical_date)
                or (self.future and r.logical_date > run.logical_date)]


MAX_RUNS_REACHED = 500  # past/future reach the latest runs only; a bigger sweep is a backfill's job


def clear_task_instances(backend: Backend, dag_id: str, run_id: str, *, task_ids: list[str] | None,
                         include_downstream: bool, only_failed: bool, dry_run: bool, now: datetime,
                         include_upstream: bool = False, include_past: bool = False, include_future: bool = False,
                         only_running: bool = False, exclude: frozenset[str] = frozenset(),
                         map_indexes: dict[str, frozenset[int]] | None = None) -> ClearResult:
    """`map_indexes` narrows a mapped task named in `task_ids` to those instances (Airflow's
    `[task_id, map_index]` entries); the tasks the options add are cleared whole."""
    spec, run = _load(backend, dag_id, run_id)
    selection = Selection(tuple(task_ids) if task_ids else None, include_upstream, include_downstream,
                          include_past, include_future)
    wanted = selection.tasks(spec) - exclude
    index = spec.task_index()
    cleared: list[Any] = []
    busy: list[str] = []
    for target in selection.runs(backend, run):
        # An expanded mapped task is cleared through its instances; its -1 item keeps the expansion.
        items = [i for i in backend.runs.task_instances(dag_id, target.run_id)
                 if i.task_id in wanted and i.map_count is None]
        if map_indexes:
            items = [i for i in items if i.task_id not in map_indexes or split_key(i.ti_key)[1] in map_indexes[i.task_id]]
        if only_failed:
            items = [i for i in items if i.state in FAILED_LIKE]
        if only_running:
            items = [i for i in items if i.state == TaskState.RUNNING]
        busy += sorted(f"{i.task_id}" if target.run_id == run_id else f"{target.run_id}/{i.task_id}"
                       for i in items if i.state in IN_FLIGHT)
        items = sorted((i for i in items if i.state not in IN_FLIGHT), key=lambda i: i.task_id)
        if dry_run or not items:
            cleared += items
            continue
        cleared += _clear_in_run(backend, spec, target, items, index, now, busy)
    return ClearResult(cleared, sorted(busy), dry_run)


def _clear_in_run(backend: Backend, spec: DagSpec, run: StoredRun, items: list[Any], index: dict, now: datetime,
                  busy: list[str]) -> list[Any]:
    repo = InterventionRepository(backend.models)
    cleared = []
    for item in items:
        if repo.clear_task(item, index[item.task_id].retry.retries, now):
            cleared.append(item)
        else:
            busy.append(item.task_id)  # picked up or changed between our read and the write
    if cleared:
        repo.reopen_run(spec.dag_id, run.run_id, now)
        if slots_bind(spec):
            # A task waiting for a slot may wait on a task cleared just now: the plan below lists again what is
            # ready, and a listed task is started without another look at its upstream (services/slot_gate.py).
            RunSlots.of_run(backend.models, spec, run).forget_waiting()
        advance_run(backend, spec, backend.runs.get(spec.dag_id, run.run_id), now)
    return cleared


def clear_run(backend: Backend, dag_id: str, run_id: str, *, only_failed: bool, dry_run: bool,
              now: datetime) -> ClearResult:
    return clear_task_instances(backend, dag_id, run_id, task_ids=None, include_downstream=False,
                                only_failed=only_failed, dry_run=dry_run, now=now)


def mark_task_instance(backend: Backend, dag_id: str, run_id: str, task_id: str, new_state: TaskState, *,
                       dry_run: bool, now: datetime, map_index: int = -1) -> Any:
    """One task instance (`map_index` for one instance of a mapped task; -1 marks all its instances)."""
    marked = mark_task_instances(backend, dag_id, run_id, Selection((task_id,)), new_state, dry_run=dry_run, now=now,
                                 map_index=map_index if map_index >= 0 else None)
    if not dry_run and not any(i.task_id == task_id and i.run_id == run_id for i in marked):
        item = backend.runs.task_instance(dag_id, run_id, task_id, map_index)
        if (item.state or TaskState.NONE) != new_state:
            raise ConflictError(f"task instance {task_id!r} changed while being marked; read it again")
    return backend.runs.task_instance(dag_id, run_id, task_id, map_index)


def mark_task_instances(backend: Backend, dag_id: str, run_id: str, selection: Selection, new_state: TaskState, *,
                        dry_run: bool, now: datetime, map_index: int | None = None) -> list[Any]:
    """Set the state of the selected task instances, then resume what the change unblocks.

    As Airflow's `set_task_instance_state` does: downstream tasks left failed or upstream_failed are
    cleared (only those), so marking a failed task success lets the rest of the run go on.
    """
    spec, run = _load(backend, dag_id, run_id)
    if selection.task_ids and not set(selection.task_ids) <= set(spec.task_index()):
        raise NotFoundError(f"task {', '.join(selection.task_ids)!r} not found in DAG {dag_id!r}")
    wanted = selection.tasks(spec)
    targets = [(r, i) for r in selection.runs(backend, run) for i in backend.runs.task_instances(dag_id, r.run_id)
               if i.task_id in wanted and (i.state or TaskState.NONE) != new_state and i.map_count is None
               and (map_index is None or split_key(i.ti_key)[1] == map_index)]
    if dry_run:
        return [i for _, i in targets]
    repo = InterventionRepository(backend.models)
    changed = [(r, i) for r, i in targets if repo.set_task_state(i, new_state, now)]
    for target in {r.run_id: r for r, _ in changed}.values():
        done = frozenset(i.task_id for r, i in changed if r.run_id == target.run_id)
        roots = sorted(done & set(selection.task_ids or done))
        resumed = clear_task_instances(backend, dag_id, target.run_id, task_ids=roots, include_downstream=True,
                                       only_failed=True, dry_run=False, now=now, exclude=done)
        if not resumed.cleared and not backend.runs.get(dag_id, target.run_id).state.finished:
            advance_run(backend, spec, backend.runs.get(dag_id, target.run_id), now)
    return [i for _, i in changed]


def set_note(backend: Backend, dag_id: str, run_id: str, note: str | None, task_id: str | None = None) -> None:
    repo = InterventionRepository(backend.models)
    found = repo.set_task_note(dag_id, run_id, task_id, note) if task_id else repo.set_run_note(dag_id, run_id, note)
    if not found:
        what = f"task instance {task_id!r} of run {run_id!r}" if task_id else f"DAG run {run_id!r}"
        raise NotFoundError(f"{what} of DAG {dag_id!r} not found")


def set_run_state(backend: Backend, dag_id: str, run_id: str, state: RunState, *, now: datetime) -> StoredRun:
    """Mark a run success (every task success) or failed (running tasks failed, not-started ones skipped)."""
    if not state.finished:
        raise BadRequestError("a run can be marked success or failed; to re-run it, clear it")
    spec, run = _load(backend, dag_id, run_id)
    repo = InterventionRepository(backend.models)
    for item in backend.runs.task_instances(dag_id, run_id):
        if item.map_count is not None:
            continue  # an expanded mapped task's -1 item: its instances are marked one by one
        target = _mark_target(item.state or "none", state)
        if target is not None and not repo.set_task_state(item, target, now):
            log.info("task %s of %s/%s changed while marking the run; left as is", item.task_id, dag_id, run_id)
    if repo.set_run_state(dag_id, run_id, state, now):
        backend.dags.record_last_run(dag_id, run_id, state.value, now)
    return backend.runs.get(dag_id, run_id)


def _mark_target(current: str, run_state: RunState) -> TaskState | None:
    if run_state is RunState.SUCCESS:
        return None if current == TaskState.SUCCESS else TaskState.SUCCESS
    if TaskState(current) in FINISHED_TASK_STATES:
        return None
    return TaskState.FAILED if current in IN_FLIGHT else TaskState.SKIPPED


def delete_run(backend: Backend, dag_id: str, run_id: str) -> int:
    """Delete the run's items, then its S3 objects: logs and large XComs (the XCom items point at them)."""
    backend.runs.get(dag_id, run_id)  # 404 when missing
    refs = _xcom_refs(backend, dag_id, run_id)  # read before the items that hold them go
    deleted = InterventionRepository(backend.models).delete_run(dag_id, run_id)
    # Exact keys first (written under any earlier key scheme), then the run's own prefixes, which also
    # catch objects whose item was never written. Each prefix is one run's: ids are single key segments.
    backend.blobs.delete_keys(refs)
    backend.blobs.delete_prefix(run_xcom_prefix(dag_id, run_id))
    backend.blobs.delete_prefix(run_log_prefix(dag_id, run_id))
    return deleted


def _xcom_refs(backend: Backend, dag_id: str, run_id: str) -> list[str]:
    refs = [ti.xcom_return_ref for ti in backend.runs.task_instances(dag_id, run_id) if ti.xcom_return_ref]
    refs += [x.value_ref for x in ApiReader(backend.models).run_xcom_items(dag_id, run_id) if x.value_ref]
    return refs


__all__ = ["ClearResult", "Selection", "clear_run", "clear_task_instances", "mark_task_instance",
           "mark_task_instances", "set_note", "set_run_state", "delete_run", "ConflictError"]
