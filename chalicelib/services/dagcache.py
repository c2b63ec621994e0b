"""DAG files imported once per warm process (worker container, scheduler loop), re-imported on change."""

from __future__ import annotations

import os
import threading
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
    def __init__(self, folder: str):
        self.folder = os.path.abspath(folder)
        self._by_file: dict[str, tuple[float, dict[str, LoadedDag]]] = {}
        self._lock = threading.Lock()

    def get(self, dag_id: str, relpath: str | None = None) -> LoadedDag | None:
        """The DAG from its file (`relpath` from the store; without it the whole folder is searched)."""
        if relpath:
            found = self._from_file(os.path.join(self.folder, relpath)).get(dag_id)
            if found is not None:
                return found
        bag = DagBag(self.folder)
        dag = bag.get_dag(dag_id)
        if dag is None:
            return None
        return self._from_file(bag.files[dag_id].path).get(dag_id)

    def relpath_of(self, dag_id: str) -> str | None:
        """The file a DAG was loaded from before, if this process has loaded it."""
        for path, (_, loaded) in self._by_file.items():
            if dag_id in loaded:
                return os.path.relpath(path, self.folder)
        return None

    def _from_file(self, path: str) -> dict[str, LoadedDag]:
        try:
            mtime = os.stat(path).st_mtime
        except FileNotFoundError:
            return {}
        with self._lock:
            cached = self._by_file.get(path)
            if cached and cached[0] == mtime:
                return cached[1]
            bag = DagBag(self.folder, only_file=path)
            loaded = {dag_id: LoadedDag(dag, dag_to_spec(dag)) for dag_id, dag in bag.dags.items()}
            self._by_file[path] = (mtime, loaded)
            return loaded
