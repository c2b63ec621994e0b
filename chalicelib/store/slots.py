"""A run's max_active_tasks slots as a counter, and the ready tasks waiting for one (issue #17).

A DAG that may run more tasks at once than its `max_active_tasks` (a fan-out wider than its slots) used to plan
its whole run after every try, to count the run's active tasks: each try read every task instance, so a
2,000-wide fan-out read ~4 million items. Instead the run keeps, on meta items of its own:

- `slots#<dag>#<run>` / the run's creation time: `count`, the slots held (tries queued or running that took
  one). A conditional ADD takes slots only while the count stays within the limit; ADD -1 gives one back.
- `waiting#<dag>#<run>#<created>` / `<priority order>#<task_id>`: one small item per ready task that found
  no free slot, highest priority_weight first. Whoever takes one deletes it (a conditional delete: one taker).

The protocol (services/slot_gate.py) keeps a slot and a waiting task from missing each other: a task that
found no slot is put on the list *before* its starter tries once more for a slot, and a try that gives a slot
back reads the list *after* it did. Strongly consistent reads and conditional writes make one of the two see
the other. The count is a hint the scheduler tick corrects (`reconcile`): a worker that dies between a write
here and its task's own leaves it one too high, and the tick recounts the run's active tries that hold a slot.

Both kinds of item expire 30 days after their last write (the run's own items outlive them by far less).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.core.spec import DagSpec
from chalicelib.store.errors import conditional_failed, update_if
from chalicelib.store.models import Models
from chalicelib.store.runs import StoredRun
from chalicelib.store.try_writes import run_pk

KEEP = timedelta(days=30)
PRIORITY_SPAN = 10**10  # priority weights are ordered within ±PRIORITY_SPAN (Airflow's are 32-bit ints)
PICK_FROM = 8  # a taker picks among the first few waiting tasks, so concurrent takers rarely collide


def order_key(priority_weight: int, task_id: str) -> str:
    """The waiting item's sort key: higher priority first, then task id."""
    rank = PRIORITY_SPAN - max(-PRIORITY_SPAN + 1, min(PRIORITY_SPAN - 1, int(priority_weight)))
    return f"{rank:021d}#{task_id}"


def task_of(key: str) -> str:
    return key.split("#", 1)[1]


class RunSlots:
    """The slot counter and waiting list of one run (`created_at` tells a re-created run of the same id apart)."""

    @classmethod
    def of_run(cls, models: Models, spec: DagSpec, run: StoredRun) -> RunSlots:
        """The slots of `run`, limited by its DAG version's max_active_tasks."""
        return cls(models, spec.dag_id, run.run_id, run.created_at, spec.max_active_tasks)

    def __init__(self, models: Models, dag_id: str, run_id: str, created_at: str | None, limit: int):
        self.m = models
        self.limit = limit
        run = run_pk(dag_id, run_id)
        created = created_at or "-"
        self.counter_key = (f"slots#{run}", created)
        self.waiting_pk = f"waiting#{run}#{created}"

    # -- the counter -------------------------------------------------------------------------------------------

    def held(self) -> int:
        Meta = self.m.Meta
        try:
            item = Meta.get(*self.counter_key, consistent_read=True, attributes_to_get=["count"])
        except Meta.DoesNotExist:
            return 0
        return int(item.count or 0)

    def acquire(self, wanted: int, now: datetime) -> int:
        """Take up to `wanted` slots; how many were taken. One write when they are all free (or none is and
        only one was wanted), else a read of the count and a second try for what is left."""
        if wanted <= 0:
            return 0
        if self._add(wanted, now):
            return wanted
        if wanted == 1:
            return 0
        free = self.limit - self.held()
        take = min(wanted, free)
        return take if take > 0 and self._add(take, now) else 0

    def release(self, count: int, now: datetime) -> int | None:
        """Give back `count` slots (never below zero: a count the tick reset meanwhile stays at zero); the count
        left, or None when it was lower than `count`."""
        if count <= 0:
            return None
        Meta = self.m.Meta
        item = Meta(*self.counter_key)
        if not update_if(item, condition=Meta.count >= count, returning="UPDATED_NEW",
                         actions=[Meta.count.add(-count), Meta.expires_at.set(now + KEEP)]):
            return None
        return int(item.count or 0)

    def reconcile(self, seen: int, actual: int, now: datetime) -> bool:
        """Set the count to `actual` (the run's active tries holding a slot, counted after reading `seen`) if it
        is still `seen`; False when another writer changed it meanwhile (the next tick tries again)."""
        if seen == actual:
            return False
        Meta = self.m.Meta
        item = Meta(*self.counter_key)
        condition = Meta.count.does_not_exist() if seen == 0 else Meta.count == seen
        if seen == 0:
            condition |= Meta.count == 0
        return update_if(item, condition=condition, actions=[Meta.count.set(actual), Meta.expires_at.set(now + KEEP)])

    def _add(self, count: int, now: datetime) -> bool:
        Meta = self.m.Meta
        item = Meta(*self.counter_key)
        room = self.limit - count
        if room < 0:
            return False
        condition = (Meta.count <= room) | Meta.count.does_not_exist()
        return update_if(item, condition=condition, actions=[Meta.count.add(count), Meta.expires_at.set(now + KEEP)])

    # -- the waiting list --------------------------------------------------------------------------------------

    def wait(self, entries: list[tuple[int, str]], now: datetime) -> None:
        """Put these (priority_weight, task_id) on the list (an entry already there is written again)."""
        Meta = self.m.Meta
        with Meta.batch_write() as batch:
            for priority, task_id in entries:
                batch.save(Meta(self.waiting_pk, order_key(priority, task_id), expires_at=now + KEEP))

    def waiting(self, limit: int | None = None) -> list[str]:
        """Sort keys of the waiting tasks, first to start first (strongly consistent)."""
        Meta = self.m.Meta
        items = Meta.query(self.waiting_pk, consistent_read=True, limit=limit, attributes_to_get=["pk", "sk"])
        return [i.sk for i in items]

    def forget_waiting(self) -> None:
        """Empty the list (a clear sets tasks back to not started: the next plan decides again what is ready)."""
        Meta = self.m.Meta
        with Meta.batch_write() as batch:
            for key in self.waiting():
                batch.delete(Meta(self.waiting_pk, key))

    def take(self, picker: str) -> str | None:
        """Remove one waiting task from the list for the caller to start; its task id, or None when the list is
        empty. Picks among the first PICK_FROM by `picker` (concurrent takers pick apart); a pick someone else
        took first is retried on a fresh read."""
        for _ in range(4):
            keys = self.waiting(PICK_FROM)
            if not keys:
                return None
            key = keys[hash(picker) % len(keys)]
            if self._remove(key):
                return task_of(key)
        return None

    def _remove(self, key: str) -> bool:
        from pynamodb.exceptions import DeleteError

        Meta = self.m.Meta
        try:
            Meta(self.waiting_pk, key).delete(condition=Meta.pk.exists())
        except DeleteError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

