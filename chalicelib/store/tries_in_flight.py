"""The reads that find task tries in flight or due, mixed into RunRepository (store/runs.py) beside the writes of
store/try_writes.py: the scheduler tick's zombies, lost messages and due retries, and the Monitoring page's counts.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from chalicelib.core.states import TaskState
from chalicelib.store.models import active_index_key
from chalicelib.store.shards import query_sharded
from chalicelib.store.timefmt import iso
from chalicelib.store.try_writes import run_pk


class TriesInFlight:
    """Mixed into RunRepository (which sets `self.m`, the models, and reads `self.active()`, the active runs)."""

    m: Any

    def by_active_state(self, state: TaskState, due_before: datetime, in_flight: list[Any] | None = None) -> list[Any]:
        """Task instances in `state` due by `due_before`: queued since then, running without a heartbeat since
        then, or waiting for a retry or reschedule due by then.

        Queued and running tries are in no index: an index entry costs each try three write units (its enqueue,
        claim and final write each write the index too), the most of what a try costs (docs/costs.md). They are
        found in the active runs' items instead (`in_flight`, which the caller may have read already), as the
        scheduler tick reads those runs anyway. Tries waiting for a retry or reschedule keep the `active`
        index (by due time, possibly far ahead, and in runs that may have nothing else to do)."""
        state = TaskState(state)
        if state is TaskState.QUEUED:
            items = in_flight if in_flight is not None else self.in_flight()
            return sorted((i for i in items if i.state is TaskState.QUEUED and (i.queued_at or "") <= iso(due_before)),
                          key=lambda i: (i.queued_at or "", i.run_pk, i.ti_key))
        if state is TaskState.RUNNING:  # the heartbeat decides, not when it was queued
            items = in_flight if in_flight is not None else self.in_flight()
            return sorted((i for i in items if i.state is TaskState.RUNNING and (i.heartbeat_at or "") <= iso(due_before)),
                          key=lambda i: (i.heartbeat_at or "", i.run_pk, i.ti_key))
        TI = self.m.TaskInstance
        return query_sharded(active_index_key(state).value, self.m.index_shards, lambda key: TI.active.query(
            key, TI.due_at <= iso(due_before), filter_condition=TI.state == state),
            order=lambda i: (i.due_at, i.run_pk, i.task_id))

    def in_flight(self) -> list[Any]:
        """Queued and running task instances: those of the active runs (a finished run has none: finishing,
        marking or timing out a run settles its unfinished tasks first; a deleted run has no items)."""
        TI = self.m.TaskInstance
        active = self.active()
        if not active:
            return []

        def of_run(run: tuple[str, str]) -> list[Any]:
            items = TI.query(run_pk(*run), consistent_read=True,
                             filter_condition=TI.state.is_in(TaskState.QUEUED, TaskState.RUNNING))
            return list(items)

        if len(active) <= 4:
            return [item for run in active for item in of_run(run)]
        with ThreadPoolExecutor(max_workers=8) as pool:  # reads only: each run's own Query
            return [item for items in pool.map(of_run, active) for item in items]
