"""What the API shows of DAGs: the filtered, sorted, paged list; one DAG; its grid, graph and source.

The list costs one Query of the by-kind index (source excluded) plus one Query of the sparse active-runs
index, however many runs the DAGs have had; last-run fields come from the summary kept on the DAG item.
Per-DAG run history (counts by state) is a separate call (`dag_stats`), one Query per DAG asked for.
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from chalicelib.core.graph import topological_order
from chalicelib.core.mapping import split_key
from chalicelib.core.spec import DagSpec
from chalicelib.services.backend import Backend
from chalicelib.store.readers import ApiReader
from chalicelib.store.runs import StoredRun

GRID_PARALLELISM = 8
SORT_KEYS = ("dag_id", "-dag_id", "next_dagrun", "-next_dagrun", "last_run", "-last_run", "owner", "-owner")


@dataclass(frozen=True)
class DagFilter:
    tags: tuple[str, ...] = ()
    owner: str | None = None
    paused: bool | None = None
    search: str | None = None
    only_active: bool = True

    def admits(self, item: Any, spec: DagSpec) -> bool:
        if self.only_active and not item.is_active:
            return False
        if self.paused is not None and bool(item.is_paused) != self.paused:
            return False
        if self.tags and not set(self.tags) & set(spec.tags):
            return False
        if self.owner and self.owner.lower() != (spec.owner or "").lower():
            return False
        if self.search:
            needle = self.search.lower()
            haystack = " ".join([item.dag_id, spec.description or "", " ".join(spec.tags)]).lower()
            return needle in haystack
        return True


@dataclass(frozen=True)
class DagRow:
    item: Any
    spec: DagSpec
    active_runs: dict[str, int]


def list_dags(backend: Backend, flt: DagFilter, *, order_by: str, limit: int, offset: int) -> tuple[list[DagRow], int]:
    reader = ApiReader(backend.models)
    if flt == DagFilter(only_active=flt.only_active) and order_by == "dag_id":
        return _plain_page(reader, flt, limit=limit, offset=offset)
    return list_dags_filtered(reader, flt, order_by=order_by, limit=limit, offset=offset)


def list_dags_filtered(reader: ApiReader, flt: DagFilter, *, order_by: str, limit: int,
                       offset: int) -> tuple[list[DagRow], int]:
    """Filters and other sort orders need every DAG item (one Query per MB of them, source excluded)."""
    rows = []
    for item in reader.dag_items():
        spec = list_spec(item)
        if flt.admits(item, spec):
            rows.append((item, spec))
    rows.sort(key=_sort_key(order_by.lstrip("-")), reverse=order_by.startswith("-"))
    page = rows[offset:offset + limit]
    active = reader.active_run_counts() if page else {}
    return [DagRow(item, spec, dict(active.get(item.dag_id, {}))) for item, spec in page], len(rows)


def _plain_page(reader: ApiReader, flt: DagFilter, *, limit: int, offset: int) -> tuple[list[DagRow], int]:
    """No filter, sorted by id: read only the page (the index is sorted by dag_id) and count the rest."""
    page = []
    for item in reader.dag_items_page(limit=limit, offset=offset):
        if flt.only_active and not item.is_active:
            break  # an inactive DAG on the page: fall back to filtering everything
        page.append(item)
    else:
        active = reader.active_run_counts() if page else {}
        rows = [DagRow(i, list_spec(i), dict(active.get(i.dag_id, {}))) for i in page]
        return rows, reader.count_dags(only_active=flt.only_active)
    return list_dags_filtered(reader, flt, order_by="dag_id", limit=limit, offset=offset)


def list_spec(item: Any) -> DagSpec:
    """The DAG as the list sees it: the small summary projected into the by-kind index."""
    return DagSpec.from_dict(json.loads(item.summary))


def _sort_key(field: str):
    if field == "next_dagrun":
        return lambda row: (row[0].next_run_after is None, row[0].next_run_after or "", row[0].dag_id)
    if field == "last_run":
        return lambda row: (row[0].last_run_at or "", row[0].dag_id)
    if field == "owner":
        return lambda row: ((row[1].owner or "").lower(), row[0].dag_id)
    return lambda row: row[0].dag_id


def dag_stats(backend: Backend, dag_ids: list[str], recent: int = 25) -> dict[str, dict[str, int]]:
    """Run counts by state over each DAG's `recent` latest runs (one Query per DAG)."""
    reader = ApiReader(backend.models)
    return {dag_id: dict(reader.recent_run_states(dag_id, recent)) for dag_id in dag_ids}


@dataclass(frozen=True)
class DagDetail:
    item: Any
    spec: DagSpec
    recent_run_states: dict[str, int]
    latest_task_states: dict[str, int]


def get_dag(backend: Backend, dag_id: str) -> DagDetail:
    reader = ApiReader(backend.models)
    item = reader.dag_item(dag_id)
    spec = backend.dags.specs.of_item(item)
    runs = reader.recent_run_states(dag_id)
    latest: Counter[str] = Counter()
    if item.last_run_id:
        latest = Counter((ti.state or "none") for ti in reader.grid_task_instances(dag_id, item.last_run_id))
    return DagDetail(item, spec, dict(runs), dict(latest))


def spec_of(backend: Backend, dag_id: str) -> tuple[Any, DagSpec]:
    item = ApiReader(backend.models).dag_item(dag_id)
    return item, backend.dags.specs.of_item(item)


@dataclass(frozen=True)
class Grid:
    spec: DagSpec
    task_order: list[str]
    runs: list[tuple[StoredRun, dict[str, list[Any]]]]  # newest first, task_id -> its TI items (a mapped task's n)


def grid(backend: Backend, dag_id: str, *, limit: int) -> Grid:
    """The latest `limit` runs × the DAG's tasks: one Query for the runs, one per run for its tasks."""
    reader = ApiReader(backend.models)
    _, spec = spec_of(backend, dag_id)
    runs = [StoredRun.of(i) for i in reader.run_items(dag_id, limit=limit)]
    # The per-run queries are independent: run them side by side (botocore clients are thread-safe), so the
    # grid costs about one round trip per `GRID_PARALLELISM` runs instead of one per run.
    with ThreadPoolExecutor(max_workers=GRID_PARALLELISM) as pool:
        per_run = list(pool.map(lambda run: reader.grid_task_instances(dag_id, run.run_id), runs))
    cells = [(run, _by_task(tis)) for run, tis in zip(runs, per_run)]
    return Grid(spec, topological_order(spec), cells)


def _by_task(items: list[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for item in items:
        grouped.setdefault(split_key(item.ti_key)[0], []).append(item)
    return grouped


def graph(spec: DagSpec) -> dict[str, Any]:
    nodes = [{"task_id": t.task_id, "operator": t.operator, "task_group_id": t.task_group,
              "trigger_rule": t.trigger_rule.value, "ui_color": t.ui_color, "is_sensor": t.sensor is not None,
              "is_mapped": t.mapped is not None}
             for t in spec.tasks]
    labels = {(up, down): label for up, down, label in spec.edge_labels}
    edges = [{"source_id": t.task_id, "target_id": down} for t in spec.tasks for down in t.downstream]
    for edge in edges:  # Airflow's structure data carries a label only on labelled edges
        label = labels.get((edge["source_id"], edge["target_id"]))
        if label is not None:
            edge["label"] = label
    groups = [{"group_id": g.group_id, "parent_group_id": g.parent, "tooltip": g.tooltip, "children": list(g.children)}
              for g in spec.task_groups]
    return {"dag_id": spec.dag_id, "nodes": nodes, "edges": edges, "task_groups": groups,
            "order": topological_order(spec)}
