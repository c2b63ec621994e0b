"""A run's max_active_tasks slots as a counter, and the ready tasks waiting for one (issue #17).

A DAG that may run more tasks at once than its `max_active_tasks` (a fan-out wider than its slots) used to plan
its whole run after every try, to count the run's active tasks: each try read every task instance, so a
2,000-wide fan-out read ~4 million items. Instead the run keeps, on meta items of its own:

- `slots#<dag>#<run>` / the run's creation time: `count`, the slots held (tries queued or running that took
  one). A conditional ADD takes slots only while the count stays within the limit; ADD -1 gives one back.
- `waiting#<dag>#<run>#<created>`: the ready tasks that found no free slot, in pages. Each `wait` writes
  `p#<page>` (up to PAGE_SIZE order keys, highest priority_weight first; never changed) and `c#<page>` (its
  cursor: `count`, the entries handed out). A taker's conditional ADD on a cursor hands out its next entry, so
  each entry has one taker; a used-up page and its cursor are deleted by the next reader.

The protocol (services/slot_gate.py) keeps a slot and a waiting task from missing each other: a task that
found no slot is put on the list *before* its starter tries once more for a slot, and a try that gives a slot
back reads the list *after* it did. Strongly consistent reads and conditional writes make one of the two see
the other. The count is a hint the scheduler tick corrects (`reconcile`): a worker that dies between a write
here and its task's own leaves it one too high, and the tick recounts the run's active tries that hold a slot.

All these items expire 30 days after their last write (the run's own items outlive them by far less).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.core.spec import DagSpec
from chalicelib.store.errors import update_if
from chalicelib.store.models import Models
from chalicelib.store.runs import StoredRun
from chalicelib.store.timefmt import iso
from chalicelib.store.try_writes import run_pk

KEEP = timedelta(days=30)
PRIORITY_SPAN = 10**10  # priority weights are ordered within ±PRIORITY_SPAN (Airflow's are 32-bit ints)
PAGE_SIZE = 100  # waiting tasks per page item (~3 KB at most with 25-character task ids)
PAGE, CURSOR = "p#", "c#"


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
        """Put these (priority_weight, task_id) on the list: one page per PAGE_SIZE of them, highest priority
        first, each with its cursor at 0 (an entry already listed is listed twice; its second take finds the
        task started and the taker goes on to the next)."""
        keys = sorted(order_key(priority, task_id) for priority, task_id in entries)
        Meta = self.m.Meta
        with Meta.batch_write() as batch:
            for first in range(0, len(keys), PAGE_SIZE):
                page = f"{iso(now)}#{uuid.uuid4().hex[:8]}"
                batch.save(Meta(self.waiting_pk, PAGE + page, data=json.dumps(keys[first:first + PAGE_SIZE]),
                                expires_at=now + KEEP))
                batch.save(Meta(self.waiting_pk, CURSOR + page, count=0, expires_at=now + KEEP))

    def waiting(self, limit: int | None = None) -> list[str]:
        """Sort keys of the waiting tasks, first to start first (strongly consistent)."""
        keys = sorted(key for page in self._pages() for key in page.left)
        return keys if limit is None else keys[:limit]

    def has_waiting(self) -> bool:
        return any(page.left for page in self._pages())

    def forget_waiting(self) -> None:
        """Empty the list (a clear sets tasks back to not started: the next plan decides again what is ready)."""
        Meta = self.m.Meta
        items = list(Meta.query(self.waiting_pk, consistent_read=True, attributes_to_get=["pk", "sk"]))
        with Meta.batch_write() as batch:
            for item in items:
                batch.delete(Meta(self.waiting_pk, item.sk))
        _CURRENT.pop(self.waiting_pk, None)

    def take(self) -> str | None:
        """Take the next waiting task off the list for the caller to start; its task id, or None when the list is
        empty. One conditional ADD on a page's cursor hands out its next entry, so concurrent takers never take
        the same one. The page is the one this process took from last for this run, while it has entries left
        (it was the best at its read: priority order holds within a page and at each read across pages), else
        the page whose next entry comes first, read strongly consistent."""
        for _ in range(4):
            current = _CURRENT.get(self.waiting_pk) or self._best_page()
            if current is None:
                return None
            index = self._advance(current)
            if index is not None:
                return task_of(current.keys[index])
            _CURRENT.pop(self.waiting_pk, None)  # used up (or forgotten): read the pages again
        return None

    def _advance(self, page: _Page) -> int | None:
        """The index the page's cursor handed out, or None when it has none left (or was forgotten)."""
        Meta = self.m.Meta
        cursor = Meta(self.waiting_pk, CURSOR + page.page_id)
        if not update_if(cursor, condition=Meta.count.exists() & (Meta.count < len(page.keys)),
                         returning="UPDATED_NEW", actions=[Meta.count.add(1)]):
            return None
        return int(cursor.count) - 1

    def _best_page(self) -> _Page | None:
        pages = [page for page in self._pages() if page.left]
        if not pages:
            _CURRENT.pop(self.waiting_pk, None)
            return None
        best = min(pages, key=lambda page: page.left[0])
        if len(_CURRENT) >= CACHED_RUNS:
            _CURRENT.pop(next(iter(_CURRENT)))
        _CURRENT[self.waiting_pk] = best
        return best

    def _pages(self) -> list[_Page]:
        """The list's pages with their cursors, read strongly consistent; used-up pages are deleted on the way."""
        Meta = self.m.Meta
        pages: dict[str, list[str]] = {}
        taken: dict[str, int] = {}
        for item in Meta.query(self.waiting_pk, consistent_read=True):
            if item.sk.startswith(PAGE):
                pages[item.sk[len(PAGE):]] = json.loads(item.data)
            elif item.sk.startswith(CURSOR):
                taken[item.sk[len(CURSOR):]] = int(item.count or 0)
        found = []
        for page_id, keys in pages.items():
            if page_id not in taken:
                continue  # its cursor is not written (a crash part-way through `wait`): nothing to take from it
            if taken[page_id] >= len(keys):
                self._drop(page_id)
                continue
            found.append(_Page(page_id, keys, taken[page_id]))
        return found

    def _drop(self, page_id: str) -> None:
        """Delete a used-up page and its cursor (no take can succeed on it any more)."""
        Meta = self.m.Meta
        with Meta.batch_write() as batch:
            batch.delete(Meta(self.waiting_pk, PAGE + page_id))
            batch.delete(Meta(self.waiting_pk, CURSOR + page_id))


@dataclass(frozen=True)
class _Page:
    page_id: str
    keys: list[str]  # order keys, first to start first
    taken: int = 0  # entries handed out when read

    @property
    def left(self) -> list[str]:
        return self.keys[self.taken:]


# The page this process takes from next, per run's list: a worker keeps taking from it without reading the list
# (pages never change once written; the cursor's condition tells when one is used up or was forgotten).
_CURRENT: dict[str, _Page] = {}
CACHED_RUNS = 256
