"""DAG sync: import the DAGs folder, store changed serialized DAGs and import errors, retire vanished DAGs."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.core.spec import DagSpec
from chalicelib.loader.dagbag import DagBag
from chalicelib.loader.serialize import dag_to_spec
from chalicelib.services.backend import Backend

log = logging.getLogger("levante.sync")


@dataclass
class SyncResult:
    specs: dict[str, DagSpec] = field(default_factory=dict)
    written: int = 0
    deactivated: list[str] = field(default_factory=list)
    import_errors: int = 0


def sync_dags(backend: Backend, folder: str, now: datetime) -> SyncResult:
    bag = DagBag(folder)
    result = SyncResult()
    paused_on_create = os.environ.get("LEVANTE_DAGS_PAUSED_AT_CREATION", "false").lower() == "true"
    for dag_id, dag in bag.dags.items():
        spec = dag_to_spec(dag)
        spec = DagSpec.from_dict({**spec.to_dict(), "fileloc": bag.files[dag_id].relpath})
        result.specs[dag_id] = spec
        dag_file = bag.files[dag_id]
        if backend.dags.upsert(spec, relpath=dag_file.relpath, source=dag_file.source,
                               source_hash=dag_file.source_hash, now=now, paused_on_create=paused_on_create):
            result.written += 1
    result.deactivated = backend.dags.deactivate_missing(set(bag.dags), now)
    errors = [e.to_dict() for e in bag.import_errors.values()]
    backend.dags.replace_import_errors(errors, now)
    result.import_errors = len(errors)
    if result.written or result.deactivated:
        log.info("synced DAGs: %d written, %d deactivated, %d import errors", result.written,
                 len(result.deactivated), result.import_errors)
    return result
