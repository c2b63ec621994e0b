"""Read-only queries the API needs beyond the scheduler's and worker's: pages, projections, counts.

Each reads through the key or an index (never a scan of runs or task instances), and asks DynamoDB only
for the attributes the caller shows: the DAG list never reads source code, the grid never reads XComs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.store.errors import NotFoundError
from chalicelib.store.models import Models
from chalicelib.store.runs import StoredRun, live_instances, run_pk
from chalicelib.store.shards import count_sharded, over_shards, query_sharded
from chalicelib.store.xcoms import parse_task_key

GRID_TI_ATTRIBUTES = ["run_pk", "ti_key", "dag_id", "run_id", "state", "try_number", "start_date", "end_date",
                      "duration", "map_count", "next_retry_at", "queued_at"]


class ApiReader:
    def __init__(self, models: Models):
        self.m = models

    # --- DAGs ----------------------------------------------------------------------------------------
    # The by-kind index projects exactly the list's fields (LIST_FIELDS): its items carry no source or spec, so
    # the list's queries name no attributes (a ProjectionExpression would only repeat the index's projection,
    # and the local emulator, moto, pays for it once per attribute per item).
    def dag_items(self) -> list[Any]:
        """Every DAG item without its source (one Query of the by-kind index per MB of items)."""
        by_kind = self.m.Dag.by_kind
        return query_sharded("dag", self.m.index_shards, lambda key: by_kind.query(key), order=_dag_id)

    def dag_items_page(self, *, limit: int, offset: int) -> list[Any]:
        """The first `offset + limit` DAGs by id (one Query while that is under 1 MB), `offset` skipped."""
        by_kind, first = self.m.Dag.by_kind, offset + limit
        items = query_sharded("dag", self.m.index_shards, lambda key: by_kind.query(
            key, limit=first, page_size=first), order=_dag_id, limit=first)
        return items[offset:]

    def count_dags(self, *, only_active: bool) -> int:
        """The counts the scheduler's DAG sync stores (one GetItem); counted from the index before a first sync."""
        try:
            counts = json.loads(self.m.Meta.get("dags", "count").data)
            return int(counts["active" if only_active else "all"])
        except DoesNotExist:
            pass
        Dag = self.m.Dag
        condition = (Dag.is_active == True) if only_active else None  # noqa: E712
        return count_sharded("dag", self.m.index_shards, lambda key: Dag.by_kind.count(key, filter_condition=condition))

    def dag_item(self, dag_id: str) -> Any:
        try:
            return self.m.Dag.get(dag_id)
        except DoesNotExist as exc:
            raise NotFoundError(f"DAG {dag_id!r} not found", cause=exc) from exc

    def active_run_counts(self) -> dict[str, Counter[str]]:
        """dag_id -> {queued: n, running: n} from the sparse active-runs index: grows with active work only."""
        counts: dict[str, Counter[str]] = {}
        active_runs = self.m.DagRun.active_runs
        for part in over_shards("1", self.m.index_shards,
                                lambda key: active_runs.query(key, attributes_to_get=["dag_id", "state"])):
            for item in part:
                counts.setdefault(item.dag_id, Counter())[item.state] += 1
        return counts

    # --- runs ----------------------------------------------------------------------------------------
    def run_items(self, dag_id: str, *, limit: int, offset: int = 0, state: str | None = None) -> list[Any]:
        """Runs of a DAG newest first (by-date LSI), `offset` skipped, at most `limit`."""
        DagRun = self.m.DagRun
        condition = DagRun.state == state if state else None
        items = DagRun.by_date.query(dag_id, scan_index_forward=False, filter_condition=condition,
                                     page_size=min(offset + limit, 500))
        return _slice(items, offset, limit)

    def count_runs(self, dag_id: str, state: str | None = None) -> int:
        DagRun = self.m.DagRun
        condition = DagRun.state == state if state else None
        return DagRun.by_date.count(dag_id, filter_condition=condition)

    def recent_run_states(self, dag_id: str, limit: int = 25) -> Counter[str]:
        DagRun = self.m.DagRun
        items = DagRun.by_date.query(dag_id, scan_index_forward=False, limit=limit, attributes_to_get=["state"])
        return Counter(item.state for item in items)

    def run_item(self, dag_id: str, run_id: str) -> Any:
        try:
            return self.m.DagRun.get(dag_id, run_id, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFoundError(f"DAG run {run_id!r} of DAG {dag_id!r} not found", cause=exc) from exc

    def run(self, dag_id: str, run_id: str) -> StoredRun:
        return StoredRun.of(self.run_item(dag_id, run_id))

    # --- task instances ----------------------------------------------------------------------------
    def grid_task_instances(self, dag_id: str, run_id: str) -> list[Any]:
        """Every task instance of the run (mapped ones one by one), with what the grid shows."""
        items = list(self.m.TaskInstance.query(run_pk(dag_id, run_id), attributes_to_get=GRID_TI_ATTRIBUTES))
        return live_instances(self.m, items)

    def run_xcom_items(self, dag_id: str, run_id: str) -> list[Any]:
        """Every XCom item of a run other than return values (those sit on the task instance)."""
        return list(self.m.XCom.query(run_pk(dag_id, run_id), attributes_to_get=["run_pk", "task_key", "value_ref"]))

    def xcom_items(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> list[Any]:
        """XComs (other than the return value) of one task instance."""
        XCom = self.m.XCom
        items = XCom.query(run_pk(dag_id, run_id), XCom.task_key.startswith(f"{task_id}#"))
        return [i for i in items if parse_task_key(i.task_key)[1] == map_index]

    # --- meta ------------------------------------------------------------------------------------------
    def import_error_items(self) -> list[dict[str, Any]]:
        return [{**json.loads(i.data), "timestamp": i.updated_at} for i in self.m.Meta.query("import_error")]

    def meta(self, pk: str, sk: str) -> tuple[dict[str, Any], str | None] | None:
        try:
            item = self.m.Meta.get(pk, sk)
        except DoesNotExist:
            return None
        return json.loads(item.data), item.updated_at


def _dag_id(item: Any) -> str:
    return item.dag_id


def _slice(items: Iterator[Any], offset: int, limit: int) -> list[Any]:
    out = []
    for index, item in enumerate(items):
        if index >= offset + limit:
            break
        if index >= offset:
            out.append(item)
    return out

