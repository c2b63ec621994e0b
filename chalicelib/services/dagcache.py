"""DAG files imported by a worker, once per warm process, re-imported when a local file changes.

A run created from a bundle names its version: the DAG then comes from that version's files (fetched
from S3 once per container by `fetch`, verified by hash, never changing). Without a version (a folder
synced by the CLI, `levante worker --dags-folder`), it comes from the local DAGs folder.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.core.spec import DagSpec
from chalicelib.loader.dagbag import DagBag
from chalicelib.loader.serialize import dag_to_spec
from chalicelib.sdk.dag import DAG


@dataclass(frozen=True)
class LoadedDag:
    dag: DAG
    spec: DagSpec


class DagCache:
    def __init__(self, folder: str, fetch: Callable[[str], str] | None = None):
        self.folder = os.path.abspath(folder)
        self.fetch = fetch  # bundle version -> local folder holding its files
        self._by_file: dict[str, tuple[float, dict[str, LoadedDag]]] = {}
        self._relpaths: dict[str, str] = {}  # dag_id -> its file, relative to its folder
        self._lock = threading.Lock()

    def get(self, dag_id: str, relpath: str | None = None, *, bundle_version: str | None = None) -> LoadedDag | None:
        """The DAG from its file (`relpath` from the store; without it the whole folder is searched)."""
        folder = self.folder_of(bundle_version)
        if relpath:
            found = self._from_file(folder, os.path.join(folder, relpath)).get(dag_id)
            if found is not None:
                return found
        bag = DagBag(folder)
        dag = bag.get_dag(dag_id)
        if dag is None:
            return None
        return self._from_file(folder, bag.files[dag_id].path).get(dag_id)

    def folder_of(self, bundle_version: str | None) -> str:
        if bundle_version and self.fetch is not None:
            return os.path.abspath(self.fetch(bundle_version))
        return self.folder

    def relpath_of(self, dag_id: str) -> str | None:
        """The file a DAG was loaded from before, if this process has loaded it."""
        return self._relpaths.get(dag_id)

    def _from_file(self, folder: str, path: str) -> dict[str, LoadedDag]:
        try:
            mtime = os.stat(path).st_mtime
        except FileNotFoundError:
            return {}
        with self._lock:
            cached = self._by_file.get(path)
            if cached and cached[0] == mtime:
                return cached[1]
            bag = DagBag(folder, only_file=path)
            loaded = {dag_id: LoadedDag(dag, dag_to_spec(dag)) for dag_id, dag in bag.dags.items()}
            self._by_file[path] = (mtime, loaded)
            self._relpaths.update(dict.fromkeys(loaded, os.path.relpath(path, folder)))
            return loaded
