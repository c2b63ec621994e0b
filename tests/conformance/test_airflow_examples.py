"""Airflow's own example DAGs for wave 2's features end as real Airflow 3.3 recorded (expected_examples.json),
through `levante dags test` and through the distributed path (store, SQS, worker)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import airflow_examples  # noqa: E402

EXPECTED_FILE = HERE / "expected_examples.json"
EXPECTED = json.loads(EXPECTED_FILE.read_text()) if EXPECTED_FILE.exists() else {"dags": {}}
pytestmark = pytest.mark.skipif(airflow_examples.airflow_package() is None,
                                reason="needs Airflow's example DAGs (an Airflow 3.3 install, see airflow_examples.py)")


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("airflow_examples")
    airflow_examples.copy_examples(folder)
    return folder


def _name(ti: dict) -> str:
    """A mapped instance is "task[i]", as expected_examples.json names it."""
    return ti["task_id"] if ti["map_index"] < 0 else f"{ti['task_id']}[{ti['map_index']}]"


def _states(task_instances: dict) -> dict[str, tuple[str, int]]:
    return {t: (v["state"], v["try_number"]) for t, v in task_instances.items()}


# Poke-mode sensors sleep for real, as in Airflow: example_sensors takes minutes (LEVANTE_SLOW_TESTS=1 runs it).
SLOW = set() if os.environ.get("LEVANTE_SLOW_TESTS") else {"example_sensors"}


@pytest.mark.parametrize("dag_id", sorted(set(EXPECTED["dags"]) - SLOW))
def test_dags_test_matches_airflow(examples: Path, dag_id: str) -> None:
    cmd = [sys.executable, "-m", "chalicelib.cli", "dags", "test", dag_id, "--dags-folder", str(examples),
           "--logical-date", airflow_examples.LOGICAL_DATE, "--output", "json", "--no-retry-wait", "--quiet"]
    proc = subprocess.run(cmd, cwd=HERE.parents[1], capture_output=True, text=True, timeout=600)
    payload = json.loads(proc.stdout)
    got = {_name(t): (t["state"], t["try_number"]) for t in payload["task_instances"]}

    assert got == _states(EXPECTED["dags"][dag_id]["task_instances"]), proc.stderr[-3000:]
    assert payload["state"] == EXPECTED["dags"][dag_id]["state"]
