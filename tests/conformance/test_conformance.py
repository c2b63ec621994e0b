"""Conformance: Levante's `dags test` must reproduce Apache Airflow 3's final states.

expected.json was recorded from a real Airflow 3 install by record_expected.py
(`airflow dags test DAG_ID 2024-06-01`, states read from the metadata DB).  For every
DAG in it, this test runs

    python -m chalicelib.cli dags test DAG_ID --dags-folder tests/conformance/dags \
        --output json --no-retry-wait

from the repo root and asserts that the run state and every task instance's state and
try_number match Airflow exactly.  Exit code must be 0 for a successful run and 1 for a
failed one.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
DAGS_DIR = HERE / "dags"
EXPECTED = json.loads((HERE / "expected.json").read_text())
TIMEOUT_S = 180


def ti_key(ti: dict) -> str:
    """A task instance as the expectations name it: `task` or, for a mapped instance, `task[i]`."""
    map_index = ti.get("map_index", -1)
    if map_index is None or map_index == -1:
        return ti["task_id"]
    return f"{ti['task_id']}[{map_index}]"


def run_levante(dag_id: str) -> tuple[subprocess.CompletedProcess, dict]:
    cmd = [
        sys.executable, "-m", "chalicelib.cli", "dags", "test", dag_id,
        "--dags-folder", str(DAGS_DIR), "--output", "json", "--no-retry-wait",
    ]
    proc = subprocess.run(cmd, cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=TIMEOUT_S)
    try:
        payload = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        pytest.fail(
            f"stdout of {' '.join(cmd)} is not one JSON object ({exc}); exit={proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
        )
    return proc, payload


@pytest.mark.parametrize("dag_id", sorted(EXPECTED["dags"]))
def test_dag_matches_airflow(dag_id: str) -> None:
    expected = EXPECTED["dags"][dag_id]
    proc, payload = run_levante(dag_id)
    context = f"\n--- stderr (tail) ---\n{proc.stderr[-3000:]}"

    assert payload.get("dag_id") == dag_id, payload
    assert isinstance(payload.get("run_id"), str) and payload["run_id"], payload

    actual_tis = {ti_key(ti): ti for ti in payload.get("task_instances", [])}
    assert sorted(actual_tis) == sorted(expected["task_instances"]), (
        "task instance ids differ from Airflow" + context
    )

    mismatches = []
    for task_id, exp in sorted(expected["task_instances"].items()):
        act = actual_tis[task_id]
        got = {"state": act.get("state"), "try_number": act.get("try_number")}
        want = {"state": exp["state"], "try_number": exp["try_number"]}
        if got != want:
            mismatches.append(f"  {task_id}: expected {want}, got {got}")
    assert not mismatches, (
        f"{dag_id}: task instances differ from Airflow {EXPECTED['airflow_version']}:\n"
        + "\n".join(mismatches) + context
    )

    assert payload.get("state") == expected["state"], (
        f"{dag_id}: run state {payload.get('state')!r}, Airflow gives {expected['state']!r}" + context
    )
    expected_rc = 0 if expected["state"] == "success" else 1
    assert proc.returncode == expected_rc, (
        f"{dag_id}: exit code {proc.returncode}, expected {expected_rc}" + context
    )
