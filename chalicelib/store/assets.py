"""Assets and asset events in the `meta` table: what the worker records and the scheduler consumes.

    pk = "asset"                    sk = uri                          the asset (name, group, latest event)
    pk = "asset_ref#" + uri         sk = "producer#dag#task"           tasks with it as outlet (written with the DAG)
                                    sk = "consumer#dag"                DAGs scheduled on it   (written with the DAG)
    pk = "asset_event#" + uri       sk = timestamp#id                 its events, oldest first
    pk = "asset_queue"              sk = dag#uri#timestamp#id         events not yet consumed by that DAG's run

The queue (Airflow's AssetDagRunQueue) holds active work only: the tick reads it with one Query and deletes
what a run consumed. References are written whenever a DAG version is stored and never deleted, so a
reader checks them against the DAG's current spec (a DAG that stopped consuming an asset is skipped).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.core import assets as conditions
from chalicelib.core.spec import DagSpec
from chalicelib.store.models import Models
from chalicelib.store.timefmt import iso

QUEUE = "asset_queue"


@dataclass(frozen=True)
class QueuedEvent:
    dag_id: str
    uri: str
    event: dict[str, Any]
    sk: str


class AssetRepository:
    def __init__(self, models: Models):
        self.m = models

    # --- written with a DAG version ------------------------------------------------------------------
    def register(self, spec: DagSpec, now: datetime) -> None:
        """The DAG's outlets and the assets it is scheduled on (one BatchWriteItem per 25 rows)."""
        Meta = self.m.Meta
        rows = []
        for task in spec.tasks:
            for uri in task.outlets:
                rows.append(Meta(f"asset_ref#{uri}", f"producer#{spec.dag_id}#{task.task_id}", updated_at=iso(now)))
        consumed = conditions.uris(spec.asset_condition) if spec.asset_condition else []
        for uri in consumed:
            rows.append(Meta(f"asset_ref#{uri}", f"consumer#{spec.dag_id}", updated_at=iso(now)))
        known = {i.sk for i in Meta.query("asset", attributes_to_get=["sk"])} if rows else set()
        for uri in sorted({u for t in spec.tasks for u in t.outlets} | set(consumed)):
            if uri not in known:
                rows.append(Meta("asset", uri, data=json.dumps({"uri": uri, "name": uri, "group": "asset"}),
                                 updated_at=iso(now)))
        if rows:
            with Meta.batch_write() as batch:
                for row in rows:
                    batch.save(row)

    # --- written by the worker when a task with outlets succeeds ---------------------------------------
    def record_events(self, events: list[dict[str, Any]], *, dag_id: str, task_id: str, run_id: str,
                      map_index: int, now: datetime) -> list[dict[str, Any]]:
        """One event per outlet, queued for every DAG scheduled on that asset; the events as stored."""
        Meta = self.m.Meta
        stored, rows = [], []
        for outlet in events:
            uri = outlet["uri"]
            event = {**outlet, "timestamp": now.isoformat(), "source_dag_id": dag_id, "source_task_id": task_id,
                     "source_run_id": run_id, "source_map_index": map_index}
            event_sk = f"{iso(now)}#{uuid.uuid4().hex[:12]}"
            event["id"] = event_sk
            text = json.dumps(event)
            rows.append(Meta(f"asset_event#{uri}", event_sk, data=text, updated_at=iso(now)))
            rows.append(Meta("asset", uri, data=json.dumps({"uri": uri, "name": outlet.get("name") or uri,
                                                             "group": outlet.get("group") or "asset",
                                                             "last_event": event}), updated_at=iso(now)))
            for consumer in self.consumers(uri):
                rows.append(Meta(QUEUE, f"{consumer}#{uri}#{event_sk}", data=text, updated_at=iso(now)))
            stored.append(event)
        with Meta.batch_write() as batch:
            for row in rows:
                batch.save(row)
        return stored

    def consumers(self, uri: str) -> list[str]:
        Meta = self.m.Meta
        rows = Meta.query(f"asset_ref#{uri}", Meta.sk.startswith("consumer#"), attributes_to_get=["sk"])
        return [r.sk.split("#", 1)[1] for r in rows]

    # --- read by the scheduler tick --------------------------------------------------------------------
    def queued(self) -> dict[str, list[QueuedEvent]]:
        """dag_id -> its unconsumed events, oldest first (one Query of the queue partition)."""
        by_dag: dict[str, list[QueuedEvent]] = {}
        for row in self.m.Meta.query(QUEUE, consistent_read=True):
            dag_id, uri, _ = row.sk.split("#", 2)
            by_dag.setdefault(dag_id, []).append(QueuedEvent(dag_id, uri, json.loads(row.data), row.sk))
        return by_dag

    def consume(self, queued: list[QueuedEvent]) -> None:
        Meta = self.m.Meta
        with Meta.batch_write() as batch:
            for item in queued:
                batch.delete(Meta(QUEUE, item.sk))

    # --- read by the API ----------------------------------------------------------------------------
    def list_assets(self) -> list[dict[str, Any]]:
        """Every asset with its producing tasks and consuming DAGs (one Query, plus one per asset)."""
        Meta = self.m.Meta
        found = []
        for row in Meta.query("asset"):
            data = json.loads(row.data)
            refs = [r.sk for r in Meta.query(f"asset_ref#{row.sk}", attributes_to_get=["sk"])]
            data["producing_tasks"] = [dict(zip(("dag_id", "task_id"), r.split("#", 2)[1:])) for r in refs
                                       if r.startswith("producer#")]
            data["consuming_dags"] = [{"dag_id": r.split("#", 1)[1]} for r in refs if r.startswith("consumer#")]
            data["updated_at"] = row.updated_at
            found.append(data)
        return found

    def events(self, uri: str, *, limit: int) -> list[dict[str, Any]]:
        """An asset's latest events, newest first."""
        Meta = self.m.Meta
        rows = Meta.query(f"asset_event#{uri}", scan_index_forward=False, limit=limit)
        return [json.loads(r.data) for r in rows]
