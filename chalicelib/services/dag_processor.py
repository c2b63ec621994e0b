"""The DAG processor: the only place DAG files are imported for the store (on AWS, a Lambda fired by a new
bundle and a slow safety timer; locally, `levante dag-processor`).

It fetches the current bundle, parses it with `sync_dags` (each file in a child process with a hard
timeout and a memory limit) and records which version it processed. The scheduler and the API read only
what it wrote: serialized DAGs, their versions, and import errors.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from chalicelib.loader.isolated import ParseLimits
from chalicelib.services.backend import Backend
from chalicelib.services.bundles import publish_folder
from chalicelib.services.sync import SyncResult, folder_fingerprint, sync_dags
from chalicelib.store.bundles import BundleStore

log = logging.getLogger("levante.dag_processor")
STATUS = ("dag_processor", "status")  # meta item: the version processed last, when, and what it found


@dataclass(frozen=True)
class ProcessReport:
    version: str | None
    skipped: bool  # already processed: nothing to do
    result: SyncResult | None = None


def process_current_bundle(backend: Backend, now: datetime, *, limits: ParseLimits | None = None,
                           force: bool = False, bundles: BundleStore | None = None) -> ProcessReport:
    """Parse the bundle `current` points at, unless it was processed already (`force` re-parses)."""
    bundles = bundles or BundleStore(backend.blobs)
    manifest = bundles.current()
    if manifest is None:
        return ProcessReport(None, skipped=True)
    status = backend.dags.get_meta(*STATUS) or {}
    if not force and status.get("version") == manifest.version:
        return ProcessReport(manifest.version, skipped=True)
    folder = bundles.fetch(manifest.version)
    # One logical source ("the bundle"), whatever folder a version sits in: unchanged files are not re-parsed.
    result = sync_dags(backend, folder, now, bundle_version=manifest.version, limits=limits, source="bundle")
    backend.dags.put_meta(*STATUS, {"version": manifest.version, "at": now.isoformat(), "dags": len(result.specs),
                                    "parsed": result.parsed, "written": result.written,
                                    "import_errors": result.import_errors}, now)
    log.info("processed bundle %s: %d files parsed, %d DAGs written, %d import errors", manifest.version,
             result.parsed, result.written, result.import_errors)
    return ProcessReport(manifest.version, skipped=False, result=result)


class FolderWatcher:
    """`levante dev`: publish the folder as a new bundle whenever it changes, then process it."""

    def __init__(self, backend: Backend, folder: str, limits: ParseLimits | None = None):
        self.backend, self.folder, self.limits = backend, folder, limits
        self.fingerprint: tuple | None = None

    def poll(self, now: datetime) -> ProcessReport | None:
        fingerprint = folder_fingerprint(self.folder, every_file=True)
        if fingerprint == self.fingerprint:
            return None
        manifest, uploaded = publish_folder(self.backend, self.folder, now)
        self.fingerprint = fingerprint
        if uploaded:
            log.info("published bundle %s (%d files)", manifest.version, len(manifest.files))
        return process_current_bundle(self.backend, now, limits=self.limits)
