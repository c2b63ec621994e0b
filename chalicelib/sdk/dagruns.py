"""What a task may ask of other DAG runs: trigger one, read its state, count task instances in states.

TriggerDagRunOperator and ExternalTaskSensor go through a `DagRunGateway`. The worker installs one backed
by the store (other DAGs' runs in DynamoDB); `dags test` runs with `IsolatedDagRuns`, which, like a fresh
`airflow dags test`, knows no other run but remembers the runs this run triggered.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from chalicelib.sdk.exceptions import AirflowException


class DagRunAlreadyExists(AirflowException):
    """A run with that id (or logical date) already exists for the DAG."""


class DagRunGateway(Protocol):
    def trigger(self, dag_id: str, *, run_id: str, conf: dict[str, Any], logical_date: datetime | None,
                note: str | None = None) -> str: ...

    def run_state(self, dag_id: str, run_id: str) -> str | None: ...

    def count_runs(self, dag_id: str, logical_dates: Sequence[datetime], states: Sequence[str]) -> int: ...

    def count_task_instances(self, dag_id: str, task_ids: Sequence[str], logical_dates: Sequence[datetime],
                             states: Sequence[str]) -> int: ...

    def task_states(self, dag_id: str, logical_dates: Sequence[datetime]) -> dict[str, dict[str, str | None]]:
        """{run_id: {task_id: state}} of the DAG's runs at those logical dates."""
        ...

    def previous_success(self, dag_id: str, logical_date: datetime) -> PreviousRun | None:
        """The DAG's latest successful run with an earlier logical date (the `prev_*_success` context)."""
        ...


@dataclass(frozen=True)
class PreviousRun:
    start_date: datetime | None
    end_date: datetime | None
    data_interval_start: datetime | None
    data_interval_end: datetime | None


@dataclass
class IsolatedDagRuns:
    """No run but the ones triggered from here exist; triggered runs stay queued (nothing runs them)."""

    triggered: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def trigger(self, dag_id: str, *, run_id: str, conf: dict[str, Any], logical_date: datetime | None,
                note: str | None = None) -> str:
        if (dag_id, run_id) in self.triggered:
            raise DagRunAlreadyExists(f"A DAG run {run_id!r} already exists for DAG {dag_id!r}")
        self.triggered[(dag_id, run_id)] = {"conf": conf, "logical_date": logical_date, "state": "queued"}
        return run_id

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        found = self.triggered.get((dag_id, run_id))
        return found["state"] if found else None

    def count_runs(self, dag_id: str, logical_dates: Sequence[datetime], states: Sequence[str]) -> int:
        return sum(1 for (d, _), r in self.triggered.items()
                   if d == dag_id and r["logical_date"] in logical_dates and r["state"] in states)

    def count_task_instances(self, dag_id: str, task_ids: Sequence[str], logical_dates: Sequence[datetime],
                             states: Sequence[str]) -> int:
        return 0

    def task_states(self, dag_id: str, logical_dates: Sequence[datetime]) -> dict[str, dict[str, str | None]]:
        return {}

    def previous_success(self, dag_id: str, logical_date: datetime) -> PreviousRun | None:
        return None


_gateway: contextvars.ContextVar[DagRunGateway | None] = contextvars.ContextVar("levante_dag_runs", default=None)


def dag_runs() -> DagRunGateway:
    gateway = _gateway.get()
    if gateway is None:
        gateway = IsolatedDagRuns()
        _gateway.set(gateway)
    return gateway


@contextmanager
def using_dag_runs(gateway: DagRunGateway) -> Iterator[None]:
    token = _gateway.set(gateway)
    try:
        yield
    finally:
        _gateway.reset(token)
