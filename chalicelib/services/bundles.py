"""Publish a DAGs folder as a bundle (`levante dags deploy`, and `levante dev` on every change).

The bundle carries everything DAG files may need at run time: DAG files, helper modules, SQL or other
templates, `requirements-dags.txt`, and `.airflowignore` itself. Files that `.airflowignore` matches are
shipped too (DAG files import helpers kept out of parsing that way); the DAG processor honours
`.airflowignore` when it parses. Only caches and hidden folders (`__pycache__`, `.git`, `.venv`) are left out.
"""

from __future__ import annotations

import fnmatch
import os
from datetime import datetime

from chalicelib.services.backend import Backend
from chalicelib.store.bundles import BundleManifest, BundleStore

MAX_BUNDLE_BYTES = 200 * 1024 * 1024  # of files, before compression


class BundleError(ValueError):
    """A folder that cannot be published (missing, or too large)."""


def bundle_files(folder: str, leave_out: tuple[str, ...] = ()) -> list[tuple[str, bytes]]:
    """The files of `folder` a bundle carries; `leave_out`: patterns of top-level file names not shipped."""
    if not os.path.isdir(folder):
        raise BundleError(f"DAGs folder {os.path.abspath(folder)} does not exist (set --dags-folder or LEVANTE_DAGS_FOLDER)")
    found: list[tuple[str, bytes]] = []
    total = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")) or (name.startswith(".") and name != ".airflowignore"):
                continue
            if root == folder and any(fnmatch.fnmatch(name, pattern) for pattern in leave_out):
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                data = handle.read()
            total += len(data)
            if total > MAX_BUNDLE_BYTES:
                raise BundleError(f"the DAGs folder holds more than {MAX_BUNDLE_BYTES // (1024 * 1024)} MB "
                                  f"(at {os.path.relpath(path, folder)}): keep data files out of it")
            found.append((os.path.relpath(path, folder).replace(os.sep, "/"), data))
    return found


def publish_folder(backend: Backend, folder: str, now: datetime,
                   leave_out: tuple[str, ...] = ()) -> tuple[BundleManifest, bool]:
    """Upload `folder` as the current bundle; (manifest, whether a new version was uploaded)."""
    return BundleStore(backend.blobs).publish(bundle_files(folder, leave_out), now)
