"""Serialized DAGs, import errors and the scheduler's own records in DynamoDB."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.core.bounds import IMPORT_ERROR_MESSAGE_LIMIT, IMPORT_ERROR_TRACEBACK_LIMIT, truncate
from chalicelib.core.schedule import Schedule, next_run
from chalicelib.core.spec import DagSpec
from chalicelib.store.assets import AssetRepository
from chalicelib.store.blobs import BlobStore
from chalicelib.store.dag_specs import SpecStore, spec_hash_of, spec_json
from chalicelib.store.errors import NotFoundError, conditional_failed
from chalicelib.store.models import Models
from chalicelib.store.shards import query_sharded
from chalicelib.store.timefmt import iso, parse_iso

log = logging.getLogger("levante.dags")

S3_PARALLELISM = 8


@dataclass(frozen=True)
class StoredDag:
    dag_id: str
    relpath: str
    source_hash: str
    spec: DagSpec
    is_paused: bool
    is_active: bool
    next_run_after: datetime | None
    last_run_state: str | None
    last_automated_logical_date: datetime | None  # the latest scheduled run: where the schedule resumes
    spec_hash: str | None = None  # the current version
    bundle_version: str | None = None

    @classmethod
    def of(cls, item: Any, spec: DagSpec) -> StoredDag:
        return cls(item.dag_id, item.relpath, item.source_hash, spec, item.is_paused, item.is_active,
                   parse_iso(item.next_run_after), item.last_run_state, parse_iso(item.last_automated_logical_date),
                   item.spec_hash, item.bundle_version)


@dataclass(frozen=True)
class DagSource:
    """One DAG as the processor parsed it, with the file it came from."""

    spec: DagSpec
    relpath: str
    source: str
    source_hash: str


def list_summary(spec: DagSpec) -> str:
    """The DagSpec without its tasks, docs and params: small enough for the DAG list's index."""
    light = {**spec.to_dict(), "tasks": [], "task_groups": [], "doc_md": None, "params": {},
             "description": truncate(spec.description, 1000) if spec.description else spec.description}
    return json.dumps(light, separators=(",", ":"))


def first_run_after(spec: DagSpec, *, last_logical_date: datetime | None, now: datetime) -> datetime | None:
    info = next_run(Schedule.from_dict(spec.schedule), start_date=spec.start_date, end_date=spec.end_date,
                    catchup=spec.catchup, last_logical_date=last_logical_date, now=now)
    return info.run_after if info else None


class DagRepository:
    def __init__(self, models: Models, blobs: BlobStore, *, paused_ttl: float = 0.0,
                 clock: Callable[[], float] = time.monotonic):
        self.m = models
        self.specs = SpecStore(blobs)
        # is_paused answers from what this process read or wrote less than `paused_ttl` seconds ago
        # (Settings.paused_cache_seconds): a warm worker then asks DynamoDB at most once a second per DAG
        # instead of once per finished try, and the read leaves the path from a task's end to the next's start.
        self.paused_ttl, self._clock = paused_ttl, clock
        self._paused: dict[str, tuple[bool, float]] = {}

    def upsert(self, spec: DagSpec, *, relpath: str, source: str, source_hash: str, now: datetime,
               paused_on_create: bool, bundle_version: str | None = None) -> bool:
        """Store the DAG if new or changed (by source hash); True when something was written."""
        return bool(self.upsert_many([DagSource(spec, relpath, source, source_hash)], now=now,
                                     paused_on_create=paused_on_create, bundle_version=bundle_version))

    def upsert_many(self, dags: list[DagSource], *, now: datetime, paused_on_create: bool,
                    bundle_version: str | None = None) -> int:
        """Store each DAG that is new or changed (by source and spec hash); how many were written.

        Any size fits: a spec or source over the inline limit lives in S3 and the item keeps a pointer.
        In batches, so that a first sync of a thousand DAGs is a few dozen DynamoDB requests, not thousands:
        the stored items are read with one BatchGetItem per 100, version records and new DAGs go in
        BatchWriteItems (nobody else writes a DAG that does not exist yet), a source shared by several DAGs
        (one file defining many) is put in S3 once. A DAG that changed gets an UpdateItem of the processor's
        own attributes, so a pause or a scheduler's advance made since the read is kept.
        """
        Dag = self.m.Dag
        ids = [d.spec.dag_id for d in dags]
        stored = {i.dag_id: i for i in Dag.batch_get(ids, consistent_read=True)} if ids else {}
        todo = []
        for dag in dags:
            item = stored.get(dag.spec.dag_id)
            spec_hash = spec_hash_of(spec_json(dag.spec))  # a helper module can change the spec, not the file
            if (item is not None and item.source_hash == dag.source_hash and item.spec_hash == spec_hash
                    and item.is_active and item.relpath == dag.relpath):
                if bundle_version and item.bundle_version != bundle_version:
                    item.update(actions=[Dag.bundle_version.set(bundle_version)])  # same DAG, files moved on
                continue
            todo.append((dag, item))
        # Each version's spec is archived in S3 (no batch PUT there): a few at once, not one after the other.
        with ThreadPoolExecutor(max_workers=S3_PARALLELISM) as pool:
            encodings = list(pool.map(self.specs.save, [dag.spec for dag, _ in todo]))
        sources: dict[str, tuple[str | None, str | None]] = {}
        versions, created, changed = [], [], []
        for (dag, item), encoded in zip(todo, encodings):
            spec = dag.spec
            if dag.source_hash not in sources:
                sources[dag.source_hash] = self.specs.save_source(dag.source, dag.source_hash)
            inline_source, source_ref = sources[dag.source_hash]
            if item is None:
                paused = paused_on_create if spec.is_paused_upon_creation is None else spec.is_paused_upon_creation
                item = Dag(spec.dag_id, is_paused=paused, kind=self.m.shard("dag", spec.dag_id))
                created.append(item)
            else:
                changed.append(item)
            if (item.spec_hash, item.source_hash) != (encoded.spec_hash, dag.source_hash):
                item.version_number = int(item.version_number or 0) + 1
                versions.append(self._version_item(spec, item.version_number, encoded.spec_hash, dag.source_hash,
                                                   dag.relpath, bundle_version, now))
            item.relpath = dag.relpath
            item.source_hash = dag.source_hash
            item.spec = encoded.inline
            item.spec_ref = None if encoded.inline else encoded.ref
            item.spec_hash = encoded.spec_hash
            item.bundle_version = bundle_version
            item.summary = list_summary(spec)
            item.task_count = len(spec.tasks)
            item.source = inline_source
            item.source_ref = source_ref
            item.is_active = True
            item.updated_at = iso(now)
            self._reschedule(item, spec, now)
        # Versions first: a DAG item never points at a version number that has no record.
        for Model, items in ((self.m.Meta, versions), (Dag, created)):
            if items:
                with Model.batch_write() as batch:
                    for new in items:
                        batch.save(new)
        for item in changed:
            self._store_changed(item)
        for dag, _ in todo:  # as before the batching: only DAGs written now register their assets again
            if dag.spec.asset_condition or any(t.outlets for t in dag.spec.tasks):
                AssetRepository(self.m).register(dag.spec, now)
        return len(created) + len(changed)

    # What the processor owns on a DAG item; the rest (pause, last runs, the scheduler's place) is others'.
    _PROCESSOR_FIELDS = ("version_number", "relpath", "source_hash", "spec", "spec_ref", "spec_hash", "bundle_version",
                         "summary", "task_count", "source", "source_ref", "is_active", "updated_at", "next_run_after",
                         "schedulable")

    def _store_changed(self, item: Any) -> None:
        Dag = self.m.Dag
        actions = []
        for name in self._PROCESSOR_FIELDS:
            value, attribute = getattr(item, name), getattr(Dag, name)
            actions.append(attribute.remove() if value is None else attribute.set(value))
        try:
            Dag(item.dag_id).update(actions=actions, condition=Dag.dag_id.exists())
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
            log.info("DAG %s was deleted while the processor stored it; the next change of its file stores it again",
                     item.dag_id)

    def _reschedule(self, item: Any, spec: DagSpec, now: datetime) -> None:
        last = parse_iso(item.last_automated_logical_date)
        after = first_run_after(spec, last_logical_date=last, now=now)
        item.next_run_after = iso(after) if after else None
        item.schedulable = self.m.shard("1", item.dag_id) if (after and item.is_active and not item.is_paused) else None

    def deactivate_missing(self, present: set[str], now: datetime) -> list[str]:
        """Retire DAGs whose file is gone; also stores the DAG counts the list shows (read in one GetItem)."""
        gone = []
        total = active = 0
        for item in self._listed():
            total += 1
            if item.dag_id not in present and item.is_active:
                item.update(actions=[self.m.Dag.is_active.set(False), self.m.Dag.schedulable.remove(),
                                     self.m.Dag.updated_at.set(iso(now))])
                gone.append(item.dag_id)
            elif item.is_active:
                active += 1
        self.put_meta("dags", "count", {"all": total, "active": active}, now)
        return gone

    def get(self, dag_id: str) -> StoredDag:
        item = self._item(dag_id)
        return StoredDag.of(item, self.specs.of_item(item))

    # --- versions: one meta item per stored version, newest first by number -----------------------
    def _version_item(self, spec: DagSpec, number: int, spec_hash: str, source_hash: str, relpath: str,
                      bundle_version: str | None, now: datetime) -> Any:
        data = {"version_number": number, "spec_hash": spec_hash, "source_hash": source_hash, "fileloc": relpath,
                "bundle_version": bundle_version, "task_count": len(spec.tasks), "created_at": iso(now)}
        return self.m.Meta(f"dag_version#{spec.dag_id}", f"{number:010d}", data=json.dumps(data), updated_at=iso(now))

    def versions(self, dag_id: str, *, limit: int = 100) -> list[dict[str, Any]]:
        items = self.m.Meta.query(f"dag_version#{dag_id}", scan_index_forward=False, limit=limit)
        return [json.loads(i.data) for i in items]

    def version(self, dag_id: str, number: int) -> dict[str, Any]:
        try:
            return json.loads(self.m.Meta.get(f"dag_version#{dag_id}", f"{number:010d}").data)
        except DoesNotExist:
            raise NotFoundError(f"version {number} of DAG {dag_id!r} not found") from None

    def relpath_or_none(self, dag_id: str) -> str | None:
        """The DAG's file, read alone (works when the rest of the item is unreadable)."""
        try:
            return self.m.Dag.get(dag_id, attributes_to_get=["dag_id", "relpath"]).relpath
        except Exception:  # noqa: BLE001 - only used to label an error; the caller falls back to the id
            return None

    def spec_version(self, dag_id: str, spec_hash: str) -> DagSpec:
        """One version of a DAG's spec (immutable; cached per process)."""
        return self.specs.version(dag_id, spec_hash)

    def is_paused(self, dag_id: str) -> bool:
        """Only the flag (a small read): workers ask it before queuing a run's next tasks. At most `paused_ttl`
        seconds old (a pause made by another process reaches this one that much later)."""
        now = self._clock()
        cached = self._paused.get(dag_id)
        if cached is not None and now - cached[1] < self.paused_ttl:
            return cached[0]
        try:
            paused = bool(self.m.Dag.get(dag_id, attributes_to_get=["is_paused"]).is_paused)
        except DoesNotExist:
            paused = False
        self._remember_paused(dag_id, paused, now)
        return paused

    def _remember_paused(self, dag_id: str, paused: bool, now: float) -> None:
        if self.paused_ttl > 0:
            self._paused[dag_id] = (paused, now)

    def _item(self, dag_id: str) -> Any:
        try:
            return self.m.Dag.get(dag_id, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFoundError(f"DAG {dag_id!r} not found", cause=exc) from exc

    def list(self, *, include_inactive: bool = False) -> list[StoredDag]:
        # The index projects only the list's fields; whole DAGs (spec included) come from the table.
        ids = [i.dag_id for i in self._listed() if include_inactive or i.is_active]
        items = {i.dag_id: i for i in self.m.Dag.batch_get(ids)} if ids else {}
        return [StoredDag.of(items[dag_id], self.specs.of_item(items[dag_id])) for dag_id in ids if dag_id in items]

    def set_paused(self, dag_id: str, paused: bool, now: datetime) -> StoredDag:
        item = self._item(dag_id)
        item.is_paused = paused
        item.updated_at = iso(now)
        spec = self.specs.of_item(item)
        self._reschedule(item, spec, now)
        item.save()
        self._remember_paused(dag_id, paused, self._clock())  # this process sees its own pause at once
        return StoredDag.of(item, spec)

    def due(self, now: datetime) -> list[str]:
        """DAG ids whose next scheduled run may be created now (sparse index; no scan)."""
        Dag = self.m.Dag
        due = query_sharded("1", self.m.index_shards, lambda key: Dag.due.query(key, Dag.next_run_after <= iso(now)),
                            order=lambda i: (i.next_run_after, i.dag_id))
        return [i.dag_id for i in due]

    def _listed(self) -> list[Any]:
        """Every DAG's list projection from the by-kind index, by dag_id (all shards)."""
        return query_sharded("dag", self.m.index_shards, self.m.Dag.by_kind.query, order=lambda i: i.dag_id)

    def advance(self, dag_id: str, *, logical_date: datetime, spec: DagSpec, now: datetime) -> None:
        """After creating the scheduled run at `logical_date`, store when the following one is due."""
        Dag = self.m.Dag
        after = first_run_after(spec, last_logical_date=logical_date, now=now)
        actions = [Dag.last_automated_logical_date.set(iso(logical_date))]
        if after is None:
            actions += [Dag.next_run_after.remove(), Dag.schedulable.remove()]
        else:
            actions.append(Dag.next_run_after.set(iso(after)))
        try:
            # Only move forward: a slower concurrent tick must not rewind the schedule.
            condition = Dag.last_automated_logical_date.does_not_exist() | (Dag.last_automated_logical_date < iso(logical_date))
            Dag(dag_id).update(actions=actions, condition=condition)
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise

    def record_last_run(self, dag_id: str, run_id: str, state: str, at: datetime,
                        task_states: dict[str, int] | None = None) -> None:
        """The DAG list's summary of the latest finished run (kept on the DAG item: no per-DAG query)."""
        Dag = self.m.Dag
        actions = [Dag.last_run_id.set(run_id), Dag.last_run_state.set(state), Dag.last_run_at.set(iso(at))]
        if task_states is not None:
            actions.append(Dag.last_run_task_states.set(json.dumps(task_states, sort_keys=True)))
        try:
            Dag(dag_id).update(actions=actions, condition=Dag.dag_id.exists())
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise

    # --- import errors and scheduler records (the meta table) ------------------------------------
    def replace_import_errors(self, errors: list[dict[str, Any]], now: datetime) -> None:
        Meta = self.m.Meta
        current = {e["filename"]: bounded_import_error(e) for e in errors}
        for item in Meta.query("import_error"):
            if item.sk not in current:
                item.delete()
        for filename, error in current.items():
            Meta("import_error", filename, data=json.dumps(error), updated_at=iso(now)).save()

    def record_import_error(self, error: dict[str, Any], now: datetime) -> None:
        """One file's error, beside the others (the scheduler's, when a stored DAG cannot be scheduled)."""
        bounded = bounded_import_error(error)
        self.m.Meta("import_error", bounded["filename"], data=json.dumps(bounded), updated_at=iso(now)).save()

    def import_errors(self) -> list[dict[str, Any]]:
        return [json.loads(i.data) for i in self.m.Meta.query("import_error")]

    def put_meta(self, pk: str, sk: str, data: dict[str, Any], now: datetime) -> None:
        self.m.Meta(pk, sk, data=json.dumps(data), updated_at=iso(now)).save()

    def get_meta(self, pk: str, sk: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.m.Meta.get(pk, sk).data)
        except DoesNotExist:
            return None


def bounded_import_error(error: dict[str, Any]) -> dict[str, Any]:
    """An import error whose texts fit an item, however long user code made them."""
    return {**error, "filename": truncate(str(error["filename"]), 1000),
            "message": truncate(str(error.get("message") or ""), IMPORT_ERROR_MESSAGE_LIMIT),
            "traceback": truncate(str(error.get("traceback") or ""), IMPORT_ERROR_TRACEBACK_LIMIT)}
