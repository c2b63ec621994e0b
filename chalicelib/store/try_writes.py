"""The conditional writes of one task try, from enqueue to finish or reap, mixed into RunRepository
(store/runs.py keeps runs and the reads of task instances).

Timeline of one task try, and the condition guarding each write:

    enqueue   state in (none, scheduled, up_for_retry, up_for_reschedule) -> queued, try_number = n
    claim     state = queued and try_number = n          -> running, owner_token = T, heartbeat
    (hand-off: enqueue's condition, claim's result in one write: claim_ready, never on SQS)
    (a fresh message, sent by the upstream's worker with no enqueue: claim_fresh, state in (none, scheduled)
     and not reset since it was sent -> running as the next try)
              or (a delayed retry message) state = up_for_retry and try_number = n - 1 and due
              or (a delayed reschedule message) state = up_for_reschedule and try_number = n and due
    heartbeat owner_token = T and state = running
    finish    owner_token = T and state = running        -> success | failed | skipped | up_for_retry ...
    reap      state = running and heartbeat older than the timeout (read first, then conditional on it)

A duplicate SQS message fails the claim (no longer queued) and does nothing; a reaped worker's late
finish fails on the owner token and is dropped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.core.mapping import split_key, ti_key
from chalicelib.core.states import TaskState
from chalicelib.store.errors import update_if
from chalicelib.store.models import active_index_key
from chalicelib.store.timefmt import iso, parse_iso

_ACTIVE_TI = {TaskState.QUEUED, TaskState.RUNNING, TaskState.UP_FOR_RETRY, TaskState.UP_FOR_RESCHEDULE}
_ENQUEUEABLE = (TaskState.NONE, TaskState.SCHEDULED, TaskState.UP_FOR_RETRY, TaskState.UP_FOR_RESCHEDULE)
CLAIM_EARLY_TOLERANCE = timedelta(seconds=1)  # clocks of queue and worker may differ a little


def run_pk(dag_id: str, run_id: str) -> str:
    return f"{dag_id}#{run_id}"


class TryWrites:
    """Mixed into RunRepository (which sets `self.m`, the models)."""

    m: Any

    def enqueue(self, dag_id: str, run_id: str, task_id: str, try_number: int, now: datetime,
                expected_try: int | None = None, retries: int = 0, map_index: int = -1, slot: bool = False) -> bool:
        """Move to QUEUED for try `try_number`; False when another actor got there first.

        `retries` fills max_tries only when the row is missing it (a row created by this very write after a
        crash part-way through the run's creation, or a mapped instance's first write), so it keeps its retries.
        """
        TI = self.m.TaskInstance
        condition = TI.state.is_in(*_ENQUEUEABLE) | TI.state.does_not_exist()
        if expected_try is not None:
            condition &= TI.try_number == expected_try
        return self._update(dag_id, run_id, task_id, condition, [
            TI.state.set(TaskState.QUEUED), TI.try_number.set(try_number), TI.queued_at.set(iso(now)),
            # A retry leaves the waiting index; queued and running tries are in no index (by_active_state)
            TI.active_state.remove(), TI.due_at.remove(), TI.next_retry_at.remove(),
            *_identity(TI, dag_id, run_id, task_id, map_index), TI.max_tries.set(TI.max_tries | retries),
            *_slot(TI, slot),
        ], map_index)

    def enqueue_next(self, dag_id: str, run_id: str, task_id: str, now: datetime, slot: bool = False) -> int | None:
        """Queue the next try of a task that has not started (none or scheduled), whatever try it is at (a
        cleared task keeps its number): the try it runs as, or None if another actor queued or settled it first
        (or its item is missing: the whole-run plan, which reads the run, decides then).

        For edge planning (core/edges.py), which decides without reading the task's item. Like `enqueue`
        after a snapshot, it does not see a clear of the upstream landing between the upstream's final write
        and this one (the same window `enqueue` has between the snapshot read and its write).
        """
        TI = self.m.TaskInstance
        condition = TI.state.is_in(TaskState.NONE, TaskState.SCHEDULED)  # never creates an item (a deleted run stays deleted)
        item = TI(run_pk(dag_id, run_id), task_id)
        # No identity or max_tries: the condition matches only an item the run's creation wrote whole.
        queued = update_if(item, condition=condition, returning="UPDATED_NEW", actions=[
            TI.state.set(TaskState.QUEUED), TI.try_number.set((TI.try_number | 0) + 1), TI.queued_at.set(iso(now)),
            TI.next_retry_at.remove(), *_slot(TI, slot),
        ])  # the new try_number is all the caller reads back
        return int(item.try_number) if queued else None

    def schedule(self, dag_id: str, run_id: str, task_id: str) -> bool:
        """none -> scheduled: a task its upstream's try readied but that must wait (its DAG is paused), as Airflow
        shows one whose dependencies are met and that is not queued yet. The tick queues it once it may, at once:
        unlike a task left none, no fresh message of its own may be on its way (services/plan_executor.py)."""
        TI = self.m.TaskInstance
        return self._update(dag_id, run_id, task_id, TI.state == TaskState.NONE, [TI.state.set(TaskState.SCHEDULED)])

    def requeue(self, dag_id: str, run_id: str, task_id: str, try_number: int, now: datetime, attempts: int,
                map_index: int = -1) -> bool:
        """A QUEUED task whose message was lost: stamp a new queued time before re-sending it."""
        TI = self.m.TaskInstance
        return self._update(dag_id, run_id, task_id, (TI.state == TaskState.QUEUED) & (TI.try_number == try_number), [
            TI.queued_at.set(iso(now)), TI.enqueue_attempts.set(attempts),
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
        condition = (TI.state.is_in(TaskState.NONE, TaskState.SCHEDULED) | TI.state.does_not_exist()) & TI.map_count.does_not_exist()
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
        condition = TI.state.is_in(TaskState.NONE, TaskState.SCHEDULED) | TI.state.does_not_exist()
        if state is TaskState.SKIPPED and reason == "dagrun_timeout":
            # Airflow skips whatever has not finished, running tasks included; their late result is dropped.
            condition = TI.state.is_in(TaskState.NONE, TaskState.SCHEDULED, TaskState.QUEUED, TaskState.RUNNING, TaskState.UP_FOR_RETRY,
                                       TaskState.UP_FOR_RESCHEDULE) | TI.state.does_not_exist()
        actions = [TI.state.set(state.value), TI.end_date.set(iso(now)), TI.active_state.remove(),
                   TI.due_at.remove(), *_identity(TI, dag_id, run_id, task_id, map_index)]
        if self._update(dag_id, run_id, task_id, condition, actions, map_index):
            return True
        if queued_after is None:
            return False
        taken_back = (TI.state == TaskState.QUEUED) & (TI.queued_at > iso(queued_after)) & (TI.try_number == 1)
        return self._update(dag_id, run_id, task_id, taken_back, [*actions, TI.try_number.set(0)], map_index)

    def claim(self, dag_id: str, run_id: str, task_id: str, try_number: int, token: str, now: datetime,
              hostname: str, request_id: str | None, map_index: int = -1, queued_at: str | None = None) -> Any | None:
        """QUEUED -> RUNNING for this try; the claimed item (its attributes after the write), or None if lost.

        `queued_at` (a message that carries its run, taskqueue.TaskMessage): only while the try is queued from
        that instant, so the run the message carries is the run the task belongs to.

        A try waiting for its retry or reschedule stays in that state (as Airflow shows it) until its delayed
        message claims it here, and not before it is due: a message delivered early finds it unclaimable.
        """
        TI = self.m.TaskInstance
        # A queued try is in no index; a retry or reschedule leaves the waiting index here (store/models.py).
        actions = self._running(dag_id, run_id, ti_key(task_id, map_index), try_number, token, now, hostname,
                                request_id)
        due = TI.next_retry_at <= iso(now + CLAIM_EARLY_TOLERANCE)
        condition = (TI.state == TaskState.QUEUED) & (TI.try_number == try_number)
        if queued_at is not None:
            condition &= TI.queued_at == queued_at
        condition |= (TI.state == TaskState.UP_FOR_RETRY) & (TI.try_number == try_number - 1) & due
        condition |= (TI.state == TaskState.UP_FOR_RESCHEDULE) & (TI.try_number == try_number) & due
        item = TI(run_pk(dag_id, run_id), ti_key(task_id, map_index))
        # UpdateItem returns the new attributes: no separate read of the task instance
        return item if update_if(item, condition=condition, actions=actions, returning="ALL_NEW") else None

    def claim_ready(self, dag_id: str, run_id: str, task_id: str, token: str, now: datetime, hostname: str,
                    request_id: str | None, *, retries: int = 0, try_number: int | None = None,
                    expected_try: int | None = None, map_index: int = -1, slot: bool = False) -> Any | None:
        """Enqueue and claim in one write, for a ready task the calling worker runs next itself (a hand-off,
        services/handoff.py): it never waits in SQS. The claimed item, or None if another actor got it first.

        The condition is `enqueue`'s when `try_number` is given (the whole-run plan's decision, `expected_try` its
        snapshot), else `enqueue_next`'s (a not-started task's next try, never creating an item); the result is
        what `claim` leaves: running, this owner token, a fresh heartbeat, queued and started now.
        """
        TI = self.m.TaskInstance
        if try_number is None:  # like enqueue_next: matches only an item the run's creation wrote whole
            condition = TI.state.is_in(TaskState.NONE, TaskState.SCHEDULED)
            number: Any = (TI.try_number | 0) + 1
            creating: list[Any] = []
            fresh = True
        else:  # like enqueue: may create the item (a mapped instance's first write), so it carries identity
            condition = TI.state.is_in(*_ENQUEUEABLE) | TI.state.does_not_exist()
            if expected_try is not None:
                condition &= TI.try_number == expected_try
            number = try_number
            fresh = False
            creating = [*_identity(TI, dag_id, run_id, task_id, map_index), TI.max_tries.set(TI.max_tries | retries)]
        key = ti_key(task_id, map_index)
        actions = [*self._running(dag_id, run_id, key, number, token, now, hostname, request_id, fresh=fresh),
                   TI.queued_at.set(iso(now)), *creating, *_slot(TI, slot)]
        item = TI(run_pk(dag_id, run_id), key)
        return item if update_if(item, condition=condition, actions=actions, returning="ALL_NEW") else None

    def claim_fresh(self, dag_id: str, run_id: str, task_id: str, token: str, now: datetime, hostname: str,
                    request_id: str | None, readied_at: str) -> Any | None:
        """Claim the next try of a task that has not started, for a message its upstream's worker sent without
        writing the task first (services/edge_executor.py: the edge that readied it decides once, so no
        queued write is needed to keep two actors from starting it). The claimed item, or None.

        Not for a message older than the item's last reset (`reset_at`: the run's creation, a clear): one readied
        before a clear, or for an earlier run of the same id, starts nothing. The try is shown queued from
        `readied_at`, when its message was sent. Like `enqueue_next`, it never creates an item.
        """
        TI = self.m.TaskInstance
        condition = TI.state.is_in(TaskState.NONE, TaskState.SCHEDULED)
        condition &= TI.reset_at.does_not_exist() | (TI.reset_at <= readied_at)
        actions = [*self._running(dag_id, run_id, task_id, (TI.try_number | 0) + 1, token, now, hostname, request_id,
                                  fresh=True), TI.queued_at.set(readied_at)]
        item = TI(run_pk(dag_id, run_id), task_id)
        return item if update_if(item, condition=condition, actions=actions, returning="ALL_NEW") else None

    def unclaim(self, dag_id: str, run_id: str, task_id: str, token: str, now: datetime, map_index: int = -1) -> bool:
        """Give a claimed try that never started back to the queue (queued, same try number): a hand-off whose
        worker failed before running it (services/task_consumer.py). False if the token no longer owns it."""
        TI = self.m.TaskInstance
        return self._update(dag_id, run_id, task_id, (TI.owner_token == token) & (TI.state == TaskState.RUNNING), [
            TI.state.set(TaskState.QUEUED), TI.owner_token.remove(), TI.queued_at.set(iso(now)),
            TI.start_date.remove(), TI.heartbeat_at.remove(), TI.hostname.remove(),
        ], map_index)  # the active index key is queued's already (queued and running share it)

    def waiting_until(self, dag_id: str, run_id: str, task_id: str, try_number: int,
                      map_index: int = -1) -> datetime | None:
        """When try `try_number` is due, if the task instance is waiting for it (retry or reschedule)."""
        try:
            item = self.m.TaskInstance.get(run_pk(dag_id, run_id), ti_key(task_id, map_index), consistent_read=True,
                                           attributes_to_get=["state", "try_number", "next_retry_at"])
        except DoesNotExist:
            return None
        current = int(item.try_number or 0)
        waiting = (item.state == TaskState.UP_FOR_RETRY and current == try_number - 1) or (
            item.state == TaskState.UP_FOR_RESCHEDULE and current == try_number)
        return parse_iso(item.next_retry_at) if waiting else None

    def heartbeat(self, dag_id: str, run_id: str, task_id: str, token: str, now: datetime, map_index: int = -1) -> bool:
        TI = self.m.TaskInstance
        return self._update(dag_id, run_id, task_id, (TI.owner_token == token) & (TI.state == TaskState.RUNNING),
                            [TI.heartbeat_at.set(iso(now))], map_index)

    def set_first_start(self, dag_id: str, run_id: str, task_id: str, when: datetime, map_index: int = -1) -> None:
        TI = self.m.TaskInstance
        self._update(dag_id, run_id, task_id, TI.first_start.does_not_exist() & TI.state.exists(),
                     [TI.first_start.set(iso(when))], map_index)

    def finish_try(self, dag_id: str, run_id: str, task_id: str, *, token: str, state: TaskState,
                   start: datetime, end: datetime, next_retry_at: datetime | None, error: str | None,
                   xcom_return: str | None, xcom_return_ref: str | None, delayed_try: int | None = None,
                   map_index: int = -1, map_length: int | None = None, log_inline: str | None = None,
                   rendered_inline: str | None = None, slot: bool = False) -> bool:
        """Record the try's outcome if this worker still owns it (not reaped meanwhile).

        `log_inline`: the try's whole log, kept on the item instead of S3 (small logs only; the worker moves
        an earlier try's inline log to S3 before this replaces it). `rendered_inline`: likewise, the try's
        rendered template fields as masked JSON (services/supervised_try.place_rendered_fields).

        `delayed_try`: the worker sends that try's message with a delivery delay right after this write, so
        the tick does not enqueue it again when due (it re-sends it only if it never arrives).
        """
        TI = self.m.TaskInstance
        # No removal of `error` or `delayed_try` when there is none: the claim that made this try running removed
        # both, and whatever writes them since (the reaper, a user's mark) also moves the state off running, which
        # fails this write. Each action costs the local stack's moto ~0.5 ms; DynamoDB bills by item size.
        actions = [
            TI.state.set(state.value), TI.end_date.set(iso(end)), TI.duration.set((end - start).total_seconds()),
            TI.owner_token.remove(),
        ]
        if delayed_try:
            actions.append(TI.delayed_try.set(delayed_try))
        if slot:  # the try gives its slot back (services/slot_gate.py); a retry runs without one
            actions.append(TI.slot.remove())
        if state in _ACTIVE_TI and next_retry_at is not None:
            actions += [TI.active_state.set(self._active(state, dag_id, run_id, task_id)),
                        TI.due_at.set(iso(next_retry_at)),
                        TI.next_retry_at.set(iso(next_retry_at))]
        # else nothing to remove: a running try is in no index (its claim took it out of the waiting one)
        if error:
            actions.append(TI.error.set(error[:2000]))
        if xcom_return is not None:
            actions.append(TI.xcom_return.set(xcom_return))
        if xcom_return_ref is not None:
            actions.append(TI.xcom_return_ref.set(xcom_return_ref))
        if map_length is not None:
            actions.append(TI.map_length.set(map_length))
        if log_inline is not None:
            actions += [TI.log_inline.set(log_inline), TI.log_try.set(TI.try_number)]
        if rendered_inline is not None:
            actions += [TI.rendered_inline.set(rendered_inline), TI.rendered_try.set(TI.try_number)]
        return self._update(dag_id, run_id, task_id, (TI.owner_token == token) & (TI.state == TaskState.RUNNING), actions,
                            map_index)

    def reap(self, item: Any, *, state: TaskState, next_retry_at: datetime | None, now: datetime, reason: str) -> bool:
        """Fail or retry a zombie, conditional on the heartbeat we judged stale (a live worker moves it)."""
        TI = self.m.TaskInstance
        condition = (TI.state == TaskState.RUNNING) & (TI.try_number == item.try_number)
        condition &= (TI.heartbeat_at == item.heartbeat_at) if item.heartbeat_at else TI.heartbeat_at.does_not_exist()
        actions = [TI.state.set(state.value), TI.end_date.set(iso(now)), TI.owner_token.remove(), TI.error.set(reason),
                   TI.delayed_try.remove()]
        if item.slot:  # its slot is not given back here: the tick's recount of the run frees it (store/slots.py)
            actions.append(TI.slot.remove())
        if state is TaskState.UP_FOR_RETRY and next_retry_at is not None:
            actions += [TI.active_state.set(self._active(state, item.dag_id, item.run_id, item.task_id)),
                        TI.due_at.set(iso(next_retry_at)),
                        TI.next_retry_at.set(iso(next_retry_at))]
        else:
            actions += [TI.active_state.remove(), TI.due_at.remove()]
        return self._update(item.dag_id, item.run_id, *_identity_args(item, condition, actions))

    def fail_queued(self, item: Any, now: datetime, reason: str) -> bool:
        TI = self.m.TaskInstance
        condition = (TI.state == TaskState.QUEUED) & (TI.try_number == item.try_number)
        actions = [TI.state.set(TaskState.FAILED), TI.end_date.set(iso(now)), TI.active_state.remove(), TI.due_at.remove(),
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

    def _running(self, dag_id: str, run_id: str, key: str, try_number: Any, token: str, now: datetime,
                 hostname: str, request_id: str | None, *, fresh: bool = False) -> list[Any]:
        """What a claim writes, from the queue (`claim`) or by a hand-off (`claim_ready`): running as try
        `try_number`, owned by `token`, started and heartbeating now, with the last try's leftovers removed.

        `fresh`: the item is in none or scheduled, so no earlier try left an end date, error or retry time (a
        new item has none; clear_task removes them); only `delayed_try` can remain."""
        TI = self.m.TaskInstance
        actions = [
            TI.state.set(TaskState.RUNNING), TI.try_number.set(try_number), TI.owner_token.set(token),
            TI.start_date.set(iso(now)), TI.heartbeat_at.set(iso(now)),
            TI.hostname.set(hostname), TI.delayed_try.remove(),
        ]
        if not fresh:  # a retry or reschedule leaves the waiting index (a not-started try was never in one)
            actions += [TI.end_date.remove(), TI.error.remove(), TI.next_retry_at.remove(), TI.active_state.remove(),
                        TI.due_at.remove()]
        if request_id:
            actions.append(TI.request_id.set(request_id))
        return actions

    def _active(self, state: TaskState, dag_id: str, run_id: str, key: str) -> str:
        """The sharded `active_state` key of one task instance in `state` (one shard per task instance, by its
        ti_key: store/shards.py; queued and running share a key: store/models.py active_index_key)."""
        return self.m.shard(active_index_key(TaskState(state)).value, f"{run_pk(dag_id, run_id)}#{key}")

    def _update(self, dag_id: str, run_id: str, task_id: str, condition: Any, actions: list[Any],
                map_index: int = -1) -> bool:
        item = self.m.TaskInstance(run_pk(dag_id, run_id), ti_key(task_id, map_index))
        return update_if(item, condition=condition, actions=actions)


def _identity_args(item: Any, condition: Any, actions: list[Any]) -> tuple[str, Any, list[Any], int]:
    """(task_id, condition, actions, map_index) for `_update` on an item read from an index."""
    task_id, map_index = split_key(item.ti_key)
    return task_id, condition, actions, map_index


def _slot(TI: Any, slot: bool) -> list[Any]:  # noqa: N803
    """A fresh try that holds a slot of its run (store/slots.py). No removal otherwise: every write that ends a
    try holding one removes the flag (finish_try, reap), so no earlier try leaves it behind."""
    return [TI.slot.set(True)] if slot else []


def _identity(TI: Any, dag_id: str, run_id: str, task_id: str, map_index: int) -> list[Any]:  # noqa: N803
    """Set on writes that may create the item (a mapped instance's first write, or a row lost in a crash)."""
    return [TI.dag_id.set(dag_id), TI.run_id.set(run_id), TI.task_id.set(task_id), TI.map_index.set(map_index)]
