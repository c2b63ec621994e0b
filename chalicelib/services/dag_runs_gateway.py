"""Other DAGs' runs as tasks see them in the distributed path: TriggerDagRunOperator creates a run in the
store (enqueueing its first tasks), ExternalTaskSensor counts runs and task instances there."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from chalicelib.core.states import RunState, TaskState
from chalicelib.sdk.dagruns import DagRunAlreadyExists, PreviousRun
from chalicelib.sdk.exceptions import AirflowException
from chalicelib.services.backend import Backend
from chalicelib.store.errors import BadRequestError, ConflictError, NotFoundError

_RUNS_SCANNED = 100  # the newest runs of a DAG a sensor looks through for its logical dates


class StoreDagRuns:
    def __init__(self, backend: Backend, now: Callable[[], datetime]):
        self.backend = backend
        self.now = now

    def trigger(self, dag_id: str, *, run_id: str, conf: dict[str, Any], logical_date: datetime | None,
                note: str | None = None) -> str:
        from chalicelib.services.trigger import trigger_run

        try:
            run = trigger_run(self.backend, dag_id, now=self.now(), conf=conf, logical_date=logical_date,
                              run_id=run_id, note=note)
        except ConflictError:
            raise DagRunAlreadyExists(f"A DAG run {run_id!r} already exists for DAG {dag_id!r}") from None
        except (NotFoundError, BadRequestError) as exc:
            raise AirflowException(f"cannot trigger DAG {dag_id!r}: {exc}") from None
        return run.run_id

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        try:
            return self.backend.runs.get(dag_id, run_id).state.value
        except NotFoundError:
            return None

    def _runs_at(self, dag_id: str, logical_dates: Sequence[datetime]) -> list[Any]:
        wanted = {d.timestamp() for d in logical_dates}
        return [r for r in self.backend.runs.list(dag_id, limit=_RUNS_SCANNED) if r.logical_date.timestamp() in wanted]

    def count_runs(self, dag_id: str, logical_dates: Sequence[datetime], states: Sequence[str]) -> int:
        return sum(1 for r in self._runs_at(dag_id, logical_dates) if r.state.value in states)

    def count_task_instances(self, dag_id: str, task_ids: Sequence[str], logical_dates: Sequence[datetime],
                             states: Sequence[str]) -> int:
        return sum(1 for tasks in self.task_states(dag_id, logical_dates).values()
                   for task_id, state in tasks.items() if task_id in task_ids and state in states)

    def previous_success(self, dag_id: str, logical_date: datetime) -> PreviousRun | None:
        """Airflow's rule: the latest logical date before this one among the DAG's successful runs (looked for
        among its newest runs, as depends_on_past does)."""
        earlier = [r for r in self.backend.runs.list(dag_id, limit=_RUNS_SCANNED)
                   if r.state is RunState.SUCCESS and r.logical_date < logical_date]
        if not earlier:
            return None
        run = max(earlier, key=lambda r: r.logical_date)
        return PreviousRun(run.start_date, run.end_date, run.data_interval_start, run.data_interval_end)

    def task_states(self, dag_id: str, logical_dates: Sequence[datetime]) -> dict[str, dict[str, str | None]]:
        return {run.run_id: {i.task_id: (None if i.state == TaskState.NONE else i.state)
                             for i in self.backend.runs.task_instances(dag_id, run.run_id)}
                for run in self._runs_at(dag_id, logical_dates)}
