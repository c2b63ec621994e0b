"""Every conformance DAG through trigger -> SQS -> worker ends in the states real Airflow 3 recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.functional.harness import Stack

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance"
EXPECTED = json.loads((CONFORMANCE / "expected.json").read_text())


@pytest.mark.parametrize("dag_id", sorted(EXPECTED["dags"]))
def test_distributed_run_matches_airflow(backend, dag_id: str) -> None:
    from datetime import datetime

    stack = Stack(backend, CONFORMANCE / "dags")
    stack.sync()
    run = stack.trigger(dag_id, logical_date=datetime.fromisoformat(EXPECTED.get("logical_date", "2024-06-01")[:10] + "T00:00:00+00:00"))
    stack.drain()
    final = backend.runs.get(dag_id, run.run_id)
    expected = EXPECTED["dags"][dag_id]
    got = {task_id: {"state": s, "try_number": n} for task_id, (s, n) in stack.states(dag_id, run.run_id).items()}
    assert got == expected["task_instances"]
    assert final.state.value == expected["state"]
