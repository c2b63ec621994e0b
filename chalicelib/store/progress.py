"""The counters and by-key reads behind edge planning (core/edges.py): a run's progress without reading it all.

- A downstream task with several upstreams keeps `upstreams_done` on its task-instance item: each finished
  upstream adds one (an atomic ADD that returns the new value and the item's state).
- A run counts its finished leaf tasks on a meta item of its own (`progress#<dag>#<run>` / the run's
  creation time, so a run deleted and re-created with the same id starts from zero); it expires after 30 days.
- The states of a few named task instances, read by key (BatchGetItem, strongly consistent).

Counters are hints (see core/edges.py): an ADD retried after a timeout may count twice, which only makes a
reader look early; decisions are taken on states.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from chalicelib.core.edges import counted, edge_plan_applies, leaf_ids, slots_bind
from chalicelib.core.spec import DagSpec
from chalicelib.core.states import TaskState
from chalicelib.store.errors import update_if
from chalicelib.store.models import Models
from chalicelib.store.runs import run_pk

KEEP = timedelta(days=30)


class RunProgress:
    def __init__(self, models: Models):
        self.m = models

    def count_finished(self, spec: DagSpec, run_id: str, created_at: str | None, task_id: str,
                       now: datetime) -> tuple[dict[str, tuple[int, TaskState]], int]:
        """Count one task that just reached a final state (a try's end, or a settle) on its edges: the
        counters of its downstream tasks with several upstreams, and the run's leaf counter if it is a leaf.

        Returns ({downstream: (count, state)}, finished leaves or 0). Nothing to count where edge planning
        never applies (core/edges.py).
        """
        if not edge_plan_applies(spec):
            return {}, 0
        counts = {d: self.count_finished_upstream(spec.dag_id, run_id, d) for d in counted(spec, task_id)}
        # A DAG whose slots bind learns that its run may be done from its slot counter instead: the try that
        # gives back the last held slot checks (services/task_consumer.py), so its leaves count nothing here.
        leaf = task_id in leaf_ids(spec) and not slots_bind(spec)
        leaves = self.count_finished_leaf(spec.dag_id, run_id, created_at, now) if leaf else 0
        return counts, leaves

    def count_finished_upstream(self, dag_id: str, run_id: str, task_id: str) -> tuple[int, TaskState]:
        """Add one to the task's finished-upstream counter: (the new count, the task's state).

        An item that is missing (a run deleted, or a crash while creating it) is not created: (0, none).
        """
        TI = self.m.TaskInstance
        item = TI(run_pk(dag_id, run_id), task_id)
        # ALL_NEW: the count and the task's state as they are now
        if not update_if(item, condition=TI.state.exists(), actions=[TI.upstreams_done.add(1)], returning="ALL_NEW"):
            return 0, TaskState.NONE
        return int(item.upstreams_done or 0), (item.state or TaskState.NONE)

    def states(self, dag_id: str, run_id: str, task_ids: Iterable[str]) -> dict[str, TaskState]:
        """States of these (unmapped) task instances; a missing item is left out (state none to readers)."""
        TI = self.m.TaskInstance
        pk = run_pk(dag_id, run_id)
        items = TI.batch_get([(pk, t) for t in task_ids], consistent_read=True, attributes_to_get=["ti_key", "state"])
        return {i.ti_key: (i.state or TaskState.NONE) for i in items}

    def count_finished_leaf(self, dag_id: str, run_id: str, created_at: str | None, now: datetime) -> int:
        """Add one to the run's finished-leaf counter; the new count."""
        Meta = self.m.Meta
        item = Meta(f"progress#{run_pk(dag_id, run_id)}", created_at or "-")
        update_if(item, condition=None, actions=[Meta.count.add(1), Meta.expires_at.set(now + KEEP)], returning="UPDATED_NEW")
        return int(item.count or 0)
