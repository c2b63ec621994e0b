"""Run a DAG file in-process the way `levante dags test --no-retry-wait` does, and read its states."""

from __future__ import annotations

import textwrap
from pathlib import Path


def run_dag_file(folder: Path, source: str, dag_id: str) -> dict[str, str]:
    from chalicelib.loader.dagbag import DagBag
    from chalicelib.runner.inprocess import SkipWaitClock, run_dag

    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{dag_id}.py").write_text(textwrap.dedent(source).lstrip())
    bag = DagBag(str(folder))
    assert not bag.import_errors, bag.import_errors
    result = run_dag(bag.get_dag(dag_id), clock=SkipWaitClock()).to_json()
    return {ti["task_id"]: ti["state"] for ti in result["task_instances"]}
