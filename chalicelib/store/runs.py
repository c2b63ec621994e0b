"""DAG runs and the reads of their task instances. Every state change is a conditional write, so duplicates
and races lose; the writes of one task try, with their timeline, are in store/try_writes.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.core.bounds import RUN_CONF_LIMIT, RUN_NOTE_LIMIT, truncate
from chalicelib.core.mapping import split_key, ti_key
from chalicelib.core.planner import RunSnapshot, TaskInstanceView
from chalicelib.core.spec import DagSpec
from chalicelib.core.states import RunState, TaskState
from chalicelib.store.errors import BadRequestError, ConflictError, NotFoundError, conditional_failed, update_if
from chalicelib.store.models import Models
from chalicelib.store.shards import count_sharded, over_shards, query_sharded
from chalicelib.store.timefmt import iso, parse_iso
from chalicelib.store.tries_in_flight import TriesInFlight
from chalicelib.store.try_writes import TryWrites, run_pk  # noqa: F401 - run_pk is imported from here too

_SNAPSHOT_ATTRIBUTES = ["ti_key", "state", "try_number", "next_retry_at", "delayed_try", "map_count", "map_length",
                        "slot", "end_date"]


@dataclass(frozen=True)
class StoredRun:
    dag_id: str
    run_id: str
    state: RunState
    run_type: str
    logical_date: datetime
    run_after: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    conf: dict[str, Any]
    start_date: datetime | None
    end_date: datetime | None
    note: str | None
    roots_enqueued: bool
    spec_hash: str | None = None  # the DAG version the run was created with; its tasks run that version
    bundle_version: str | None = None
    failure_reason: str | None = None
    triggering_events: tuple[dict[str, Any], ...] = ()  # the asset events that started an asset-triggered run
    created_at: str | None = None  # tells a run from an earlier one of the same id (deleted and re-created)

    @classmethod
    def of(cls, item: Any) -> StoredRun:
        return cls(item.dag_id, item.run_id, RunState(item.state), item.run_type, parse_iso(item.logical_date),
                   parse_iso(item.run_after), parse_iso(item.data_interval_start), parse_iso(item.data_interval_end),
                   load_conf(item.conf), parse_iso(item.start_date), parse_iso(item.end_date), item.note,
                   bool(item.roots_enqueued), item.spec_hash, item.bundle_version, item.failure_reason,
                   tuple(json.loads(item.triggering_events)) if item.triggering_events else (), item.created_at)

    def for_message(self) -> dict[str, Any] | None:
        """This run, for the messages of the tasks it queues (taskqueue.TaskMessage.run), so their workers need
        no read of it; None when the worker should read it: a run not (yet) running, or one too big to carry."""
        if self.state is not RunState.RUNNING or self.start_date is None or self.created_at is None:
            return None
        data = {"state": self.state.value, "run_type": self.run_type, "logical_date": iso(self.logical_date),
                "run_after": iso(self.run_after), "data_interval_start": iso(self.data_interval_start),
                "data_interval_end": iso(self.data_interval_end), "conf": self.conf,
                "start_date": iso(self.start_date), "note": self.note, "roots_enqueued": self.roots_enqueued,
                "spec_hash": self.spec_hash, "bundle_version": self.bundle_version,
                "triggering_events": list(self.triggering_events), "created_at": self.created_at}
        return data if len(json.dumps(data, separators=(",", ":"))) <= RUN_IN_MESSAGE_BYTES else None

    def message_fields(self, now: datetime) -> dict[str, Any]:
        """TaskMessage's `run` and `queued_at` for the tries this run's sender queues at `now` (the instant the
        enqueue writes, which guards the claim); neither when the run is not carried."""
        carried = self.for_message()
        return {"run": carried, "queued_at": iso(now)} if carried else {}

    @classmethod
    def from_message(cls, dag_id: str, run_id: str, data: dict[str, Any]) -> StoredRun:
        """The run `for_message` wrote; raises KeyError, TypeError or ValueError on anything else."""
        return cls(dag_id, run_id, RunState(data["state"]), str(data["run_type"]), _date(data["logical_date"]),
                   _date(data["run_after"]), _date(data["data_interval_start"]), _date(data["data_interval_end"]),
                   dict(data["conf"]), _date(data["start_date"]), None, data.get("note"),
                   bool(data["roots_enqueued"]), data.get("spec_hash"), data.get("bundle_version"), None,
                   tuple(dict(e) for e in data.get("triggering_events") or ()), str(data["created_at"]))


# A run rides on its tasks' messages up to this size: SQS bills each 64 KB of a batch of ten as one request.
RUN_IN_MESSAGE_BYTES = 4096


def _date(value: Any) -> datetime:
    parsed = parse_iso(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError(f"not a date: {value!r}")
    return parsed


def load_conf(text: str | None) -> dict[str, Any]:
    # Infinity/NaN stored before the API refused them (`1e400`) read back as null: a reader never fails
    # and never emits invalid JSON.
    return json.loads(text or "{}", parse_constant=lambda _: None)


class RunRepository(TryWrites, TriesInFlight):
    """Runs and reads of task instances; the try's conditional writes come from TryWrites."""

    def __init__(self, models: Models):
        self.m = models

    # --- runs ----------------------------------------------------------------------------------------
    def create(self, spec: DagSpec, *, run_id: str, run_type: str, logical_date: datetime, run_after: datetime,
               interval: tuple[datetime, datetime], conf: dict[str, Any], note: str | None, now: datetime,
               spec_hash: str | None = None, bundle_version: str | None = None,
               state: RunState = RunState.RUNNING,
               triggering_events: list[dict[str, Any]] | None = None) -> StoredRun:
        """Create the run and its task instances. Two creators of the same run id: one wins, one gets ConflictError.

        `spec_hash` and `bundle_version` pin the DAG version: the run's tasks run it even if the DAG changes.
        """
        DagRun = self.m.DagRun
        conf_json = json.dumps(conf, allow_nan=False)
        if len(conf_json.encode()) > RUN_CONF_LIMIT:
            raise BadRequestError(f"conf is {len(conf_json.encode())} bytes of JSON; at most {RUN_CONF_LIMIT} are accepted")
        if note is not None and len(note) > RUN_NOTE_LIMIT:
            raise BadRequestError(f"note is {len(note)} characters; at most {RUN_NOTE_LIMIT} are accepted")
        item = DagRun(
            spec.dag_id, run_id, run_key=run_pk(spec.dag_id, run_id), date_key=f"{iso(run_after)}#{run_id}",
            state=state.value, run_type=run_type, logical_date=iso(logical_date), run_after=iso(run_after),
            data_interval_start=iso(interval[0]), data_interval_end=iso(interval[1]), conf=conf_json,
            note=note, start_date=iso(now) if state is RunState.RUNNING else None, created_at=iso(now),
            active=self.m.shard("1", run_pk(spec.dag_id, run_id)), spec_hash=spec_hash,
            bundle_version=bundle_version,
            triggering_events=json.dumps(triggering_events) if triggering_events else None,
        )
        try:
            item.save(condition=DagRun.run_id.does_not_exist())
        except PutError as exc:
            if conditional_failed(exc):
                raise ConflictError(f"DAG run {run_id!r} of DAG {spec.dag_id!r} already exists", cause=exc) from exc
            raise
        self._create_task_instances(spec, run_id, now)
        return StoredRun.of(item)

    def _create_task_instances(self, spec: DagSpec, run_id: str, now: datetime) -> None:
        # BatchWriteItem (25 per request, unprocessed items retried by PynamoDB). A crash part-way leaves
        # some rows missing; readers treat a missing row as state "none", so the run still completes.
        TI = self.m.TaskInstance
        with TI.batch_write() as batch:
            for task in spec.tasks:
                batch.save(TI(run_pk(spec.dag_id, run_id), task.task_id, task_id=task.task_id, map_index=-1,
                              dag_id=spec.dag_id, run_id=run_id,
                              state=TaskState.NONE.value, try_number=0, max_tries=task.retry.retries,
                              reset_at=iso(now)))

    def get(self, dag_id: str, run_id: str) -> StoredRun:
        try:
            return StoredRun.of(self.m.DagRun.get(dag_id, run_id, consistent_read=True))
        except DoesNotExist as exc:
            raise NotFoundError(f"DAG run {run_id!r} of DAG {dag_id!r} not found", cause=exc) from exc

    def list(self, dag_id: str, *, limit: int = 25, state: str | None = None) -> list[StoredRun]:
        DagRun = self.m.DagRun
        condition = DagRun.state == state if state else None
        items = DagRun.by_date.query(dag_id, scan_index_forward=False, filter_condition=condition, limit=limit)
        return [StoredRun.of(i) for i in items]

    def active(self) -> list[tuple[str, str]]:
        """(dag_id, run_id) of every queued or running run (sparse index)."""
        DagRun = self.m.DagRun
        items = query_sharded("1", self.m.index_shards, DagRun.active_runs.query, order=lambda i: i.run_key)
        return [(i.dag_id, i.run_id) for i in items]

    def active_states(self) -> list[tuple[str, str, RunState, str]]:
        """(dag_id, run_id, state, date_key) of every queued or running run, from the sparse index only."""
        active_runs = self.m.DagRun.active_runs
        items = query_sharded("1", self.m.index_shards, lambda key: active_runs.query(
            key, attributes_to_get=["dag_id", "run_id", "state", "date_key", "run_key"]), order=lambda i: i.run_key)
        return [(i.dag_id, i.run_id, RunState(i.state), i.date_key) for i in items]

    def running_count(self, dag_id: str) -> int:
        DagRun = self.m.DagRun
        return count_sharded("1", self.m.index_shards, lambda key: DagRun.active_runs.count(
            key, DagRun.run_key.startswith(f"{dag_id}#"), filter_condition=DagRun.state == RunState.RUNNING.value))

    def start(self, dag_id: str, run_id: str, now: datetime) -> bool:
        """QUEUED -> RUNNING (a max_active_runs slot freed, or the DAG was unpaused); False if not queued."""
        DagRun = self.m.DagRun
        return update_if(DagRun(dag_id, run_id), condition=DagRun.state == RunState.QUEUED.value,
                         actions=[DagRun.state.set(RunState.RUNNING.value), DagRun.start_date.set(iso(now))])

    def active_count(self, dag_id: str) -> int:
        DagRun = self.m.DagRun
        parts = over_shards("1", self.m.index_shards,
                            lambda key: DagRun.active_runs.query(key, DagRun.run_key.startswith(f"{dag_id}#")))
        return sum(len(part) for part in parts)

    def mark_roots_enqueued(self, dag_id: str, run_id: str) -> None:
        DagRun = self.m.DagRun
        DagRun(dag_id, run_id).update(actions=[DagRun.roots_enqueued.set(True)])

    def finish(self, dag_id: str, run_id: str, state: RunState, now: datetime) -> bool:
        """RUNNING -> final state once; False if someone else finished it first."""
        DagRun = self.m.DagRun
        return update_if(DagRun(dag_id, run_id), condition=DagRun.state.is_in(RunState.RUNNING.value, RunState.QUEUED.value),
                         actions=[DagRun.state.set(state.value), DagRun.end_date.set(iso(now)), DagRun.active.remove()])

    def fail_unreadable(self, dag_id: str, run_id: str, reason: str, now: datetime) -> bool:
        """Fail a run the scheduler cannot work on (a stored value it cannot read), saying why; reads nothing."""
        DagRun = self.m.DagRun
        return update_if(DagRun(dag_id, run_id), condition=DagRun.state.is_in(RunState.RUNNING.value, RunState.QUEUED.value),
                         actions=[DagRun.state.set(RunState.FAILED.value), DagRun.end_date.set(iso(now)),
                                  DagRun.active.remove(), DagRun.failure_reason.set(truncate(reason, 2000))])

    # --- task instances ----------------------------------------------------------------------------------
    def task_instances(self, dag_id: str, run_id: str) -> list[Any]:
        """Every stored item of the run, an expanded task's -1 item included (see `instances`)."""
        return list(self.m.TaskInstance.query(run_pk(dag_id, run_id), consistent_read=True))

    def instances(self, dag_id: str, run_id: str) -> list[Any]:
        """The run's task instances as users see them (`live_instances` of its items)."""
        return live_instances(self.m, self.task_instances(dag_id, run_id))

    def task_instance(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> Any:
        try:
            return self.m.TaskInstance.get(run_pk(dag_id, run_id), ti_key(task_id, map_index), consistent_read=True)
        except DoesNotExist as exc:
            where = f" map_index {map_index}" if map_index >= 0 else ""
            raise NotFoundError(f"task instance {task_id!r}{where} of run {run_id!r} not found", cause=exc) from exc

    def snapshot(self, spec: DagSpec, run: StoredRun) -> RunSnapshot:
        # Only what the planner reads: every worker takes a snapshot, so keep each response small.
        items = self.m.TaskInstance.query(run_pk(spec.dag_id, run.run_id), consistent_read=True,
                                          attributes_to_get=_SNAPSHOT_ATTRIBUTES)
        views = {i.ti_key: view_of(i) for i in items}
        return RunSnapshot(spec, views, run.state, run.start_date, previous=self._previous_states(spec, run),
                           active_elsewhere=self._active_elsewhere(spec, run.run_id))

    def _active_elsewhere(self, spec: DagSpec, run_id: str) -> dict[str, int]:
        """Queued or running instances of each max_active_tis_per_dag task in the DAG's other active runs; read
        only for DAGs that set it (one index query per shard, one key-range query per other run and task)."""
        limited = [t.task_id for t in spec.tasks if t.max_active_tis_per_dag is not None]
        if not limited:
            return {}
        DagRun, TI = self.m.DagRun, self.m.TaskInstance
        parts = over_shards("1", self.m.index_shards, lambda key: DagRun.active_runs.query(
            key, DagRun.run_key.startswith(f"{spec.dag_id}#"), attributes_to_get=["dag_id", "run_id", "run_key"]))
        counts: dict[str, int] = {}
        for other in (r.run_id for part in parts for r in part if r.run_id != run_id):
            for task_id in limited:
                items = TI.query(run_pk(spec.dag_id, other), TI.ti_key.startswith(task_id), consistent_read=True,
                                 attributes_to_get=["ti_key", "state"])
                active = sum(1 for i in items if split_key(i.ti_key)[0] == task_id
                             and i.state in (TaskState.QUEUED, TaskState.RUNNING))
                counts[task_id] = counts.get(task_id, 0) + active
        return counts

    def _previous_states(self, spec: DagSpec, run: StoredRun) -> dict[str, TaskState] | None:
        """Task states of the run before this one (by logical date), read only for depends_on_past DAGs."""
        if not any(t.depends_on_past or t.wait_for_downstream for t in spec.tasks):
            return None
        earlier = [r for r in self.list(spec.dag_id, limit=50) if r.logical_date < run.logical_date]
        if not earlier:
            return None
        previous = max(earlier, key=lambda r: r.logical_date)
        # By ti_key: a mapped instance's own key; an expanded task's -1 item is left out (live_instances).
        return {i.ti_key: view_of(i).state for i in self.instances(spec.dag_id, previous.run_id)}


def identity_of(item: Any) -> tuple[str, int]:
    """(task_id, map_index) of a task-instance item, from its key (always present)."""
    return split_key(item.ti_key)


def live_instances(models: Models, items: list[Any]) -> list[Any]:
    """Task instances as users see them: an expanded mapped task is its instances 0..n-1, without its -1
    item; an instance not written yet (waiting for a slot) is shown as an unsaved item in state none."""
    present = {i.ti_key for i in items}
    out = []
    for item in items:
        if item.map_count is None:
            out.append(item)
            continue
        task_id = split_key(item.ti_key)[0]
        for index in range(int(item.map_count)):
            key = ti_key(task_id, index)
            if key not in present:
                out.append(models.TaskInstance(item.run_pk, key, task_id=task_id, map_index=index, dag_id=item.dag_id,
                                               run_id=item.run_id, state=TaskState.NONE.value, try_number=0))
    return sorted(out, key=lambda i: split_key(i.ti_key))


def view_of(item: Any) -> TaskInstanceView:
    state, current = (item.state or TaskState.NONE), int(item.try_number or 0)
    task_id, map_index = split_key(item.ti_key)
    return TaskInstanceView(task_id, state, current, parse_iso(item.next_retry_at),
                            delayed=item.delayed_try is not None and int(item.delayed_try) == next_try(state, current),
                            map_index=map_index, map_count=None if item.map_count is None else int(item.map_count),
                            map_length=None if item.map_length is None else int(item.map_length),
                            slot=bool(item.slot), end_date=parse_iso(item.end_date))


def next_try(state: TaskState, try_number: int) -> int:
    """The try a waiting task instance runs next: a retry is a new try, a reschedule keeps its number."""
    return try_number + 1 if state is TaskState.UP_FOR_RETRY else try_number
