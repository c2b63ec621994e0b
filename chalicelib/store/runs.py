"""DAG runs and task instances: every state change is a conditional write, so duplicates and races lose.

Timeline of one task try, and the condition guarding each write:

    enqueue   state in (none, scheduled, up_for_retry, up_for_reschedule) -> queued, try_number = n
    claim     state = queued and try_number = n          -> running, owner_token = T, heartbeat
              or (a delayed retry message) state = up_for_retry and try_number = n - 1 and due
              or (a delayed reschedule message) state = up_for_reschedule and try_number = n and due
    heartbeat owner_token = T and state = running
    finish    owner_token = T and state = running        -> success | failed | skipped | up_for_retry ...
    reap      state = running and heartbeat older than the timeout (read first, then conditional on it)

A duplicate SQS message fails the claim (no longer queued) and does nothing; a reaped worker's late
finish fails on the owner token and is dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.core.bounds import RUN_CONF_LIMIT, RUN_NOTE_LIMIT, truncate
from chalicelib.core.mapping import split_key, ti_key
from chalicelib.core.planner import RunSnapshot, TaskInstanceView
from chalicelib.core.spec import DagSpec
from chalicelib.core.states import RunState, TaskState
from chalicelib.store.errors import BadRequestError, ConflictError, NotFoundError, conditional_failed, update_if
from chalicelib.store.models import Models
from chalicelib.store.shards import count_sharded, over_shards, query_sharded
from chalicelib.store.timefmt import iso, parse_iso

_ACTIVE_TI = {TaskState.QUEUED, TaskState.RUNNING, TaskState.UP_FOR_RETRY, TaskState.UP_FOR_RESCHEDULE}
_ENQUEUEABLE = ("none", "scheduled", "up_for_retry", "up_for_reschedule")
_SNAPSHOT_ATTRIBUTES = ["ti_key", "state", "try_number", "next_retry_at", "delayed_try", "map_count", "map_length"]
CLAIM_EARLY_TOLERANCE = timedelta(seconds=1)  # clocks of queue and worker may differ a little


def run_pk(dag_id: str, run_id: str) -> str:
    return f"{dag_id}#{run_id}"


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


def load_conf(text: str | None) -> dict[str, Any]:
    # Infinity/NaN stored before the API refused them (`1e400`) read back as null: a reader never fails
    # and never emits invalid JSON.
    return json.loads(text or "{}", parse_constant=lambda _: None)


class RunRepository:
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
        self._create_task_instances(spec, run_id)
        return StoredRun.of(item)

    def _create_task_instances(self, spec: DagSpec, run_id: str) -> None:
        # BatchWriteItem (25 per request, unprocessed items retried by PynamoDB). A crash part-way leaves
        # some rows missing; readers treat a missing row as state "none", so the run still completes.
        TI = self.m.TaskInstance
        with TI.batch_write() as batch:
            for task in spec.tasks:
                batch.save(TI(run_pk(spec.dag_id, run_id), task.task_id, task_id=task.task_id, map_index=-1,
                              dag_id=spec.dag_id, run_id=run_id,
                              state=TaskState.NONE.value, try_number=0, max_tries=task.retry.retries))

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
        try:
            DagRun(dag_id, run_id).update(
                actions=[DagRun.state.set(state.value), DagRun.end_date.set(iso(now)), DagRun.active.remove()],
                condition=DagRun.state.is_in(RunState.RUNNING.value, RunState.QUEUED.value),
            )
        except UpdateError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

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
        return RunSnapshot(spec, views, run.state, run.start_date, previous=self._previous_states(spec, run))

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

    def enqueue(self, dag_id: str, run_id: str, task_id: str, try_number: int, now: datetime,
                expected_try: int | None = None, retries: int = 0, map_index: int = -1) -> bool:
        """Move to QUEUED for try `try_number`; False when another actor got there first.

        `retries` fills max_tries only when the row is missing it (a row created by this very write after a
        crash part-way through the run's creation, or a mapped instance's first write), so it keeps its retries.
        """
        TI = self.m.TaskInstance
        condition = TI.state.is_in(*_ENQUEUEABLE) | TI.state.does_not_exist()
        if expected_try is not None:
            condition &= TI.try_number == expected_try
        return self._update(dag_id, run_id, task_id, condition, [
            TI.state.set("queued"), TI.try_number.set(try_number), TI.queued_at.set(iso(now)),
            TI.active_state.set(self._active("queued", dag_id, run_id, ti_key(task_id, map_index))),
            TI.due_at.set(iso(now)), TI.next_retry_at.remove(),
            *_identity(TI, dag_id, run_id, task_id, map_index), TI.max_tries.set(TI.max_tries | retries),
        ], map_index)

    def enqueue_next(self, dag_id: str, run_id: str, task_id: str, now: datetime, retries: int = 0) -> int | None:
        """Queue the next try of a task that has not started (none or scheduled), whatever try it is at (a
        cleared task keeps its number): the try it runs as, or None if another actor queued or settled it first
        (or its item is missing: the whole-run plan, which reads the run, decides then).

        For edge planning (core/edges.py), which decides without reading the task's item. Like `enqueue`
        after a snapshot, it does not see a clear of the upstream landing between the upstream's final write
        and this one (the same window `enqueue` has between the snapshot read and its write).
        """
        TI = self.m.TaskInstance
        condition = TI.state.is_in("none", "scheduled")  # never creates an item (a deleted run stays deleted)
        item = TI(run_pk(dag_id, run_id), task_id)
        try:
            item.update(condition=condition, actions=[
                TI.state.set("queued"), TI.try_number.set((TI.try_number | 0) + 1), TI.queued_at.set(iso(now)),
                TI.active_state.set(self._active("queued", dag_id, run_id, task_id)),
                TI.due_at.set(iso(now)), TI.next_retry_at.remove(),
                *_identity(TI, dag_id, run_id, task_id, -1), TI.max_tries.set(TI.max_tries | retries),
            ])
        except UpdateError as exc:
            if conditional_failed(exc):
                return None
            raise
        return int(item.try_number)

    def requeue(self, dag_id: str, run_id: str, task_id: str, try_number: int, now: datetime, attempts: int,
                map_index: int = -1) -> bool:
        """A QUEUED task whose message was lost: stamp a new queued time before re-sending it."""
        TI = self.m.TaskInstance
        return self._update(dag_id, run_id, task_id, (TI.state == "queued") & (TI.try_number == try_number), [
            TI.queued_at.set(iso(now)), TI.due_at.set(iso(now)), TI.enqueue_attempts.set(attempts),
        ], map_index)

    def expand(self, dag_id: str, run_id: str, task_id: str, count: int, now: datetime) -> bool:
        """Record that a mapped task expanded to `count` instances (on its -1 item); False if another actor
        expanded or settled it first.

        One conditional write, however many instances: each instance's item is written by its first enqueue
        or settle (a conditional write that creates it), and readers take a missing instance as state none.
        Writing the items here as well would race with those conditional writes:

            expander A: mark -1 expanded ........................ batch-write instances (state none)
            worker B:                   read, enqueue instance 0 -> queued   ^ reset to none by A's batch
        """
        TI = self.m.TaskInstance
        condition = (TI.state.is_in("none", "scheduled") | TI.state.does_not_exist()) & TI.map_count.does_not_exist()
        return self._update(dag_id, run_id, task_id, condition, [
            TI.state.set(TaskState.REMOVED.value), TI.map_count.set(count), TI.end_date.set(iso(now)),
            *_identity(TI, dag_id, run_id, task_id, -1), TI.active_state.remove(), TI.due_at.remove(),
        ])

    def settle(self, dag_id: str, run_id: str, task_id: str, state: TaskState, now: datetime,
               reason: str = "", queued_after: datetime | None = None, map_index: int = -1) -> bool:
        """A task that will not run (skipped / upstream_failed): only from a not-yet-started state.

        `queued_after` (when the branch itself was queued): also take back a task queued after that but not
        yet claimed. In Airflow's batch semantics such a task was never queued beside the branch, so the
        skip wins; tasks queued in the branch's own batch (same time) keep running, as in Airflow. This
        narrows the race between a skip and a concurrent upstream that readies the same task.
        """
        TI = self.m.TaskInstance
        condition = TI.state.is_in("none", "scheduled") | TI.state.does_not_exist()
        if state is TaskState.SKIPPED and reason == "dagrun_timeout":
            # Airflow skips whatever has not finished, running tasks included; their late result is dropped.
            condition = TI.state.is_in("none", "scheduled", "queued", "running", "up_for_retry",
                                       "up_for_reschedule") | TI.state.does_not_exist()
        actions = [TI.state.set(state.value), TI.end_date.set(iso(now)), TI.active_state.remove(),
                   TI.due_at.remove(), *_identity(TI, dag_id, run_id, task_id, map_index)]
        if self._update(dag_id, run_id, task_id, condition, actions, map_index):
            return True
        if queued_after is None:
            return False
        taken_back = (TI.state == "queued") & (TI.queued_at > iso(queued_after)) & (TI.try_number == 1)
        return self._update(dag_id, run_id, task_id, taken_back, [*actions, TI.try_number.set(0)], map_index)

    def claim(self, dag_id: str, run_id: str, task_id: str, try_number: int, token: str, now: datetime,
              hostname: str, request_id: str | None, map_index: int = -1) -> Any | None:
        """QUEUED -> RUNNING for this try; the claimed item (its attributes after the write), or None if lost.

        A try waiting for its retry or reschedule stays in that state (as Airflow shows it) until its delayed
        message claims it here, and not before it is due: a message delivered early finds it unclaimable.
        """
        TI = self.m.TaskInstance
        actions = [
            TI.state.set("running"), TI.owner_token.set(token), TI.heartbeat_at.set(iso(now)),
            TI.start_date.set(iso(now)), TI.active_state.set(self._active("running", dag_id, run_id, task_id)),
            TI.due_at.set(iso(now)),
            TI.hostname.set(hostname), TI.end_date.remove(), TI.error.remove(), TI.try_number.set(try_number),
            TI.next_retry_at.remove(), TI.delayed_try.remove(),
        ]
        due = TI.next_retry_at <= iso(now + CLAIM_EARLY_TOLERANCE)
        condition = (TI.state == "queued") & (TI.try_number == try_number)
        condition |= (TI.state == "up_for_retry") & (TI.try_number == try_number - 1) & due
        condition |= (TI.state == "up_for_reschedule") & (TI.try_number == try_number) & due
        if request_id:
            actions.append(TI.request_id.set(request_id))
        item = TI(run_pk(dag_id, run_id), ti_key(task_id, map_index))
        try:  # UpdateItem returns the new attributes: no separate read of the task instance
            item.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if conditional_failed(exc):
                return None
            raise
        return item

    def waiting_until(self, dag_id: str, run_id: str, task_id: str, try_number: int,
                      map_index: int = -1) -> datetime | None:
        """When try `try_number` is due, if the task instance is waiting for it (retry or reschedule)."""
        try:
            item = self.m.TaskInstance.get(run_pk(dag_id, run_id), ti_key(task_id, map_index), consistent_read=True,
                                           attributes_to_get=["state", "try_number", "next_retry_at"])
        except DoesNotExist:
            return None
        current = int(item.try_number or 0)
        waiting = (item.state == "up_for_retry" and current == try_number - 1) or (
            item.state == "up_for_reschedule" and current == try_number)
        return parse_iso(item.next_retry_at) if waiting else None

    def heartbeat(self, dag_id: str, run_id: str, task_id: str, token: str, now: datetime, map_index: int = -1) -> bool:
        TI = self.m.TaskInstance
        return self._update(dag_id, run_id, task_id, (TI.owner_token == token) & (TI.state == "running"),
                            [TI.heartbeat_at.set(iso(now)), TI.due_at.set(iso(now))], map_index)

    def set_first_start(self, dag_id: str, run_id: str, task_id: str, when: datetime, map_index: int = -1) -> None:
        TI = self.m.TaskInstance
        self._update(dag_id, run_id, task_id, TI.first_start.does_not_exist() & TI.state.exists(),
                     [TI.first_start.set(iso(when))], map_index)

    def finish_try(self, dag_id: str, run_id: str, task_id: str, *, token: str, state: TaskState,
                   start: datetime, end: datetime, next_retry_at: datetime | None, error: str | None,
                   xcom_return: str | None, xcom_return_ref: str | None, delayed_try: int | None = None,
                   map_index: int = -1, map_length: int | None = None, log_inline: str | None = None) -> bool:
        """Record the try's outcome if this worker still owns it (not reaped meanwhile).

        `log_inline`: the try's whole log, kept on the item instead of S3 (small logs only; the worker moves
        an earlier try's inline log to S3 before this replaces it).

        `delayed_try`: the worker sends that try's message with a delivery delay right after this write, so
        the tick does not enqueue it again when due (it re-sends it only if it never arrives).
        """
        TI = self.m.TaskInstance
        actions = [
            TI.state.set(state.value), TI.end_date.set(iso(end)), TI.duration.set((end - start).total_seconds()),
            TI.owner_token.remove(), TI.delayed_try.set(delayed_try) if delayed_try else TI.delayed_try.remove(),
        ]
        if state in _ACTIVE_TI and next_retry_at is not None:
            actions += [TI.active_state.set(self._active(state.value, dag_id, run_id, task_id)),
                        TI.due_at.set(iso(next_retry_at)),
                        TI.next_retry_at.set(iso(next_retry_at))]
        else:
            actions += [TI.active_state.remove(), TI.due_at.remove()]
        actions.append(TI.error.set(error[:2000]) if error else TI.error.remove())
        if xcom_return is not None:
            actions.append(TI.xcom_return.set(xcom_return))
        if xcom_return_ref is not None:
            actions.append(TI.xcom_return_ref.set(xcom_return_ref))
        if map_length is not None:
            actions.append(TI.map_length.set(map_length))
        if log_inline is not None:
            actions += [TI.log_inline.set(log_inline), TI.log_try.set(TI.try_number)]
        return self._update(dag_id, run_id, task_id, (TI.owner_token == token) & (TI.state == "running"), actions,
                            map_index)

    def reap(self, item: Any, *, state: TaskState, next_retry_at: datetime | None, now: datetime, reason: str) -> bool:
        """Fail or retry a zombie, conditional on the heartbeat we judged stale (a live worker moves it)."""
        TI = self.m.TaskInstance
        condition = (TI.state == "running") & (TI.try_number == item.try_number)
        condition &= (TI.heartbeat_at == item.heartbeat_at) if item.heartbeat_at else TI.heartbeat_at.does_not_exist()
        actions = [TI.state.set(state.value), TI.end_date.set(iso(now)), TI.owner_token.remove(), TI.error.set(reason),
                   TI.delayed_try.remove()]
        if state is TaskState.UP_FOR_RETRY and next_retry_at is not None:
            actions += [TI.active_state.set(self._active(state.value, item.dag_id, item.run_id, item.task_id)),
                        TI.due_at.set(iso(next_retry_at)),
                        TI.next_retry_at.set(iso(next_retry_at))]
        else:
            actions += [TI.active_state.remove(), TI.due_at.remove()]
        return self._update(item.dag_id, item.run_id, *_identity_args(item, condition, actions))

    def fail_queued(self, item: Any, now: datetime, reason: str) -> bool:
        TI = self.m.TaskInstance
        condition = (TI.state == "queued") & (TI.try_number == item.try_number)
        actions = [TI.state.set("failed"), TI.end_date.set(iso(now)), TI.active_state.remove(), TI.due_at.remove(),
                   TI.error.set(reason)]
        return self._update(item.dag_id, item.run_id, *_identity_args(item, condition, actions))

    def undelay(self, dag_id: str, run_id: str, task_id: str, delayed_try: int, map_index: int = -1) -> bool:
        """The delayed message was not sent after all: let the tick enqueue the try when due."""
        TI = self.m.TaskInstance
        return self._update(dag_id, run_id, task_id, TI.delayed_try == delayed_try, [TI.delayed_try.remove()],
                            map_index)

    def redeliver_delayed(self, item: Any, now: datetime) -> bool:
        """A delayed message that never arrived: stamp the re-send (once per queued timeout), then re-send."""
        TI = self.m.TaskInstance
        condition = (TI.state == item.state) & (TI.try_number == item.try_number) & (TI.delayed_try == item.delayed_try)
        return self._update(item.dag_id, item.run_id, *_identity_args(item, condition, [TI.due_at.set(iso(now))]))

    def by_active_state(self, state: str, due_before: datetime) -> list[Any]:
        TI = self.m.TaskInstance
        return query_sharded(state, self.m.index_shards, lambda key: TI.active.query(key, TI.due_at <= iso(due_before)),
                             order=lambda i: (i.due_at, i.run_pk, i.task_id))

    def _active(self, state: str, dag_id: str, run_id: str, task_id: str) -> str:
        """The sharded `active_state` key of one task instance (one shard per task instance, store/shards.py)."""
        return self.m.shard(state, f"{run_pk(dag_id, run_id)}#{task_id}")

    def _update(self, dag_id: str, run_id: str, task_id: str, condition: Any, actions: list[Any],
                map_index: int = -1) -> bool:
        item = self.m.TaskInstance(run_pk(dag_id, run_id), ti_key(task_id, map_index))
        return update_if(item, condition=condition, actions=actions)


def _identity_args(item: Any, condition: Any, actions: list[Any]) -> tuple[str, Any, list[Any], int]:
    """(task_id, condition, actions, map_index) for `_update` on an item read from an index."""
    task_id, map_index = split_key(item.ti_key)
    return task_id, condition, actions, map_index


def _identity(TI: Any, dag_id: str, run_id: str, task_id: str, map_index: int) -> list[Any]:  # noqa: N803
    """Set on writes that may create the item (a mapped instance's first write, or a row lost in a crash)."""
    return [TI.dag_id.set(dag_id), TI.run_id.set(run_id), TI.task_id.set(task_id), TI.map_index.set(map_index)]


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
    state, current = TaskState(item.state or "none"), int(item.try_number or 0)
    task_id, map_index = split_key(item.ti_key)
    return TaskInstanceView(task_id, state, current, parse_iso(item.next_retry_at),
                            delayed=item.delayed_try is not None and int(item.delayed_try) == next_try(state, current),
                            map_index=map_index, map_count=None if item.map_count is None else int(item.map_count),
                            map_length=None if item.map_length is None else int(item.map_length))


def next_try(state: TaskState, try_number: int) -> int:
    """The try a waiting task instance runs next: a retry is a new try, a reschedule keeps its number."""
    return try_number + 1 if state is TaskState.UP_FOR_RETRY else try_number
