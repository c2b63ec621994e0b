"""Every example DAG ends in the same task states and try numbers through trigger -> SQS -> worker as
through `levante dags test` (the in-process runner): one set of semantics, two executors."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.functional.harness import Stack

DAGS = Path(__file__).resolve().parents[2] / "dags"
LOGICAL_DATE = datetime(2024, 6, 1, tzinfo=UTC)
EXAMPLES = sorted(p.stem for p in DAGS.glob("example_*.py"))


def _in_process(dag_id: str) -> tuple[str, dict[str, tuple[str, int]]]:
    from chalicelib.loader.dagbag import DagBag
    from chalicelib.runner.inprocess import SkipWaitClock, run_dag

    result = run_dag(DagBag(DAGS).get_dag(dag_id), logical_date=LOGICAL_DATE, clock=SkipWaitClock())
    return result.state.value, {ti.task_id: (ti.state.value, ti.try_number) for ti in result.task_instances}


@pytest.mark.parametrize("dag_id", EXAMPLES)
def test_example_dag_distributed_matches_dags_test(backend, dag_id: str) -> None:
    expected_state, expected = _in_process(dag_id)
    stack = Stack(backend, DAGS)
    stack.sync()
    run = stack.trigger(dag_id, logical_date=LOGICAL_DATE)
    stack.drain()
    assert stack.states(dag_id, run.run_id) == expected
    assert backend.runs.get(dag_id, run.run_id).state.value == expected_state
    # the DAG list's summary of the run, kept on the DAG item
    item = backend.models.Dag.get(dag_id)
    assert (item.last_run_id, item.last_run_state) == (run.run_id, expected_state)
    assert json.loads(item.last_run_task_states) == dict(Counter(state for state, _ in expected.values()))


def test_every_example_dag_is_covered() -> None:
    assert len(EXAMPLES) >= 5
