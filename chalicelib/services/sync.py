"""DAG sync, the DAG processor's work: parse a DAGs folder (a bundle) in child processes, store changed
serialized DAGs and import errors, retire vanished DAGs.

Each file is imported in its own child process with a hard timeout and a memory limit
(`chalicelib.loader.isolated`): this process never runs user code, so a file that hangs, exits or
exhausts memory is an import error for that file alone. Only files whose content (or a helper module)
changed since the last sync in this process are parsed again, and only their DAGs are written.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from chalicelib.core.spec import DagSpec
from chalicelib.loader.dagbag import list_dag_files
from chalicelib.loader.isolated import FileOutcome, ParseLimits, parse_files
from chalicelib.services.backend import Backend
from chalicelib.store.dags import DagSource

log = logging.getLogger("levante.sync")


@dataclass
class SyncResult:
    specs: dict[str, DagSpec] = field(default_factory=dict)
    written: int = 0
    parsed: int = 0  # files imported (in child processes) this time
    deactivated: list[str] = field(default_factory=list)
    import_errors: int = 0


@dataclass
class _FolderState:
    fingerprint: tuple = ()
    bundle_version: str | None = None
    result: SyncResult | None = None
    outcomes: dict[str, tuple[str, FileOutcome]] = field(default_factory=dict)  # relpath -> (file key, outcome)


# Per process (a warm processor Lambda, the local dag-processor loop): what each file produced, by its
# content hash. Re-importing 1,000 unchanged files on every change of one would cost minutes.
_STATE: dict[tuple[str, str], _FolderState] = {}


def folder_fingerprint(folder: str, *, every_file: bool = False) -> tuple:
    """(path, mtime, size) of the files that matter: Python files and .airflowignore, or `every_file`."""
    entries = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not (every_file and d.startswith(".")))
        for name in sorted(files):
            if (every_file and not name.endswith(".pyc")) or name.endswith(".py") or name == ".airflowignore":
                stat = os.stat(os.path.join(root, name))
                entries.append((os.path.relpath(os.path.join(root, name), folder), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


def sync_dags(backend: Backend, folder: str, now: datetime, *, deactivate: bool = True,
              bundle_version: str | None = None, limits: ParseLimits | None = None,
              source: str | None = None) -> SyncResult:
    """Store what the folder defines. With `deactivate`, DAGs whose file is gone are retired (the
    processor's job); a CLI pointed at some other folder must not retire the processor's DAGs.
    `source` names where the folder comes from when that outlives the folder (each bundle version is
    extracted to its own folder): files unchanged since the last sync of that source are not parsed again."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"DAGs folder {os.path.abspath(folder)} does not exist (set --dags-folder or LEVANTE_DAGS_FOLDER)")
    folder = os.path.abspath(folder)
    state = _STATE.setdefault((backend.settings.base, source or folder), _FolderState())
    fingerprint = folder_fingerprint(folder)
    if deactivate and state.result is not None and (state.fingerprint, state.bundle_version) == (fingerprint, bundle_version):
        return SyncResult(specs=dict(state.result.specs), import_errors=state.result.import_errors)
    outcomes, parsed = _parse_changed(folder, state, limits or ParseLimits())
    result = SyncResult(parsed=len(parsed))
    errors: list[dict] = []
    owner: dict[str, str] = {}  # dag_id -> relpath
    to_store: list[DagSource] = []
    paused_on_create = os.environ.get("LEVANTE_DAGS_PAUSED_AT_CREATION", "false").lower() == "true"
    for relpath, outcome in sorted(outcomes.items()):
        if outcome.error:
            errors.append(outcome.error)
            continue
        clash = next((s["dag_id"] for s in outcome.specs if s["dag_id"] in owner), None)
        if clash:
            errors.append({"filename": relpath, "lineno": None, "traceback": "",
                           "message": f"DagDefinitionError: DAG {clash!r} is defined in both {owner[clash]} and {relpath}"})
            continue
        source = Path(folder, relpath).read_text(encoding="utf-8", errors="replace")
        source_hash = hashlib.sha256(source.encode()).hexdigest()
        for data in outcome.specs:
            spec = DagSpec.from_dict(data)
            owner[spec.dag_id] = relpath
            result.specs[spec.dag_id] = spec
            if relpath not in parsed and state.result is not None and deactivate:
                continue  # unchanged file, stored at an earlier sync of this process
            to_store.append(DagSource(spec, relpath, source, source_hash))
    result.written = backend.dags.upsert_many(to_store, now=now, paused_on_create=paused_on_create,
                                              bundle_version=bundle_version)
    result.import_errors = len(errors)
    if deactivate:
        result.deactivated = backend.dags.deactivate_missing(set(result.specs), now)
        backend.dags.replace_import_errors(errors, now)
        state.fingerprint, state.bundle_version, state.result = fingerprint, bundle_version, result
    if result.written or result.deactivated or result.parsed:
        log.info("synced DAGs: %d files parsed, %d DAGs written, %d deactivated, %d import errors", result.parsed,
                 result.written, len(result.deactivated), result.import_errors)
    return result


def _parse_changed(folder: str, state: _FolderState, limits: ParseLimits) -> tuple[dict[str, FileOutcome], set[str]]:
    """Every DAG file's outcome; only files whose content or helper modules changed are imported again."""
    paths = list_dag_files(folder)
    helpers = _helpers_digest(folder, set(paths))
    keys = {path: _file_key(path, helpers) for path in paths}
    stale = [p for p in paths if state.outcomes.get(os.path.relpath(p, folder), ("",))[0] != keys[p]]
    for path, outcome in zip(stale, parse_files(folder, stale, limits)):
        state.outcomes[outcome.relpath] = (keys[path], outcome)
    present = {os.path.relpath(p, folder) for p in paths}
    for gone in set(state.outcomes) - present:
        del state.outcomes[gone]
    return {rel: outcome for rel, (_, outcome) in state.outcomes.items()}, {os.path.relpath(p, folder) for p in stale}


def _file_key(path: str, helpers: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() + helpers


def _helpers_digest(folder: str, dag_files: set[str]) -> str:
    """A hash of the folder's other Python files: a DAG file importing a changed helper must be parsed again."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(files):
            path = os.path.join(root, name)
            if name.endswith(".py") and path not in dag_files:
                digest.update(os.path.relpath(path, folder).encode() + b"\0" + Path(path).read_bytes())
    return digest.hexdigest()[:16]
