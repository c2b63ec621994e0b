"""Airflow's example DAGs for wave 2's features through trigger -> SQS -> worker end as real Airflow 3.3
recorded them (tests/conformance/expected_examples.json)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.functional.harness import Stack

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance"
sys.path.insert(0, str(CONFORMANCE))
import airflow_examples  # noqa: E402

EXPECTED_FILE = CONFORMANCE / "expected_examples.json"
EXPECTED = json.loads(EXPECTED_FILE.read_text()) if EXPECTED_FILE.exists() else {"dags": {}}
# Poke-mode sensors sleep for real in a worker (minutes for example_sensors): it runs through `dags test` only.
SLOW = {"example_sensors"}


@pytest.mark.skipif(airflow_examples.airflow_package() is None, reason="needs an Airflow 3.3 install")
def test_distributed_examples_match_airflow(backend, tmp_path) -> None:
    # One stack for all of them: each DAG runs on its own, and moto's set-up dominates a test's time.
    airflow_examples.copy_examples(tmp_path)
    stack = Stack(backend, tmp_path)
    stack.sync()
    logical_date = datetime.fromisoformat(airflow_examples.LOGICAL_DATE + "T00:00:00+00:00")
    got, want = {}, {}
    for dag_id in sorted(set(EXPECTED["dags"]) - SLOW):
        run = stack.trigger(dag_id, logical_date=logical_date)
        stack.drain()
        final = backend.runs.get(dag_id, run.run_id).state.value
        got[dag_id] = (final, {t: {"state": s, "try_number": n} for t, (s, n) in stack.states(dag_id, run.run_id).items()})
        want[dag_id] = (EXPECTED["dags"][dag_id]["state"], EXPECTED["dags"][dag_id]["task_instances"])

    assert got == want
