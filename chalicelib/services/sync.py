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


# Per process (a warm scheduler Lambda, the local scheduler loop): the folder's fingerprint at the last
# sync and what it produced. Re-importing and re-reading 1,000 DAGs every tick would cost ~1,000 reads.
_LAST: dict[tuple[str, str], tuple[tuple, SyncResult]] = {}


def folder_fingerprint(folder: str) -> tuple:
    entries = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py") or name == ".airflowignore":
                stat = os.stat(os.path.join(root, name))
                entries.append((os.path.relpath(os.path.join(root, name), folder), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


def sync_dags(backend: Backend, folder: str, now: datetime, *, deactivate: bool = True) -> SyncResult:
    """Store what the folder defines. With `deactivate`, DAGs whose file is gone are retired (the
    scheduler's job); a CLI pointed at some other folder must not retire the scheduler's DAGs."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"DAGs folder {os.path.abspath(folder)} does not exist (set --dags-folder or LEVANTE_DAGS_FOLDER)")
    key = (backend.settings.base, os.path.abspath(folder))
    fingerprint = folder_fingerprint(folder)
    cached = _LAST.get(key)
    if deactivate and cached is not None and cached[0] == fingerprint:
        return SyncResult(specs=dict(cached[1].specs), import_errors=cached[1].import_errors)
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
    if deactivate:
        result.deactivated = backend.dags.deactivate_missing(set(bag.dags), now)
        errors = [e.to_dict() for e in bag.import_errors.values()]
        backend.dags.replace_import_errors(errors, now)
        result.import_errors = len(errors)
        _LAST[key] = (fingerprint, result)
    if result.written or result.deactivated:
        log.info("synced DAGs: %d written, %d deactivated, %d import errors", result.written,
                 len(result.deactivated), result.import_errors)
    return result
