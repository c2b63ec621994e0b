"""ExternalTaskSensor (wait for another DAG's task, task group or run at a logical date) and ExternalTaskMarker."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from chalicelib.core.states import RunState, TaskState
from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.dagruns import dag_runs
from chalicelib.sdk.exceptions import AirflowException, AirflowSkipException
from chalicelib.sdk.sensors.base import BaseSensorOperator

log = logging.getLogger("airflow.task")
_TASK_STATES = {s.value for s in TaskState} - {"none"}
_RUN_STATES = {s.value for s in RunState}


class ExternalTaskFailedError(AirflowException):
    pass


class ExternalDagFailedError(AirflowException):
    pass


class ExternalTaskSensor(BaseSensorOperator):
    template_fields = ("external_dag_id", "external_task_id", "external_task_ids", "external_task_group_id")
    ui_color = "#4db7db"

    def __init__(self, *, external_dag_id: str, external_task_id: str | None = None,
                 external_task_ids: Collection[str] | None = None, external_task_group_id: str | None = None,
                 allowed_states: Iterable[str] | None = None, skipped_states: Iterable[str] | None = None,
                 failed_states: Iterable[str] | None = None, execution_delta: dt.timedelta | None = None,
                 execution_date_fn: Callable | None = None, check_existence: bool = False,
                 poll_interval: float | None = None, **kwargs: Any):
        if poll_interval is not None:
            kwargs.setdefault("poke_interval", poll_interval)
        super().__init__(**kwargs)
        self.allowed_states = list(allowed_states) if allowed_states else [TaskState.SUCCESS.value]
        self.skipped_states = list(skipped_states) if skipped_states else []
        self.failed_states = list(failed_states) if failed_states else []
        every = self.allowed_states + self.skipped_states + self.failed_states
        if len(set(every)) != len(every):
            raise AirflowException("Duplicate values provided across allowed_states, skipped_states and failed_states.")
        external_task_ids = list(external_task_ids) if external_task_ids else None
        if external_task_id is not None and external_task_ids is not None:
            raise ValueError("Only one of `external_task_id` or `external_task_ids` may be provided to "
                             "ExternalTaskSensor; use external_task_id or external_task_ids or external_task_group_id.")
        if external_task_id is not None:
            external_task_ids = [external_task_id]
        if external_task_group_id is not None and external_task_ids is not None:
            raise ValueError("Only one of `external_task_group_id` or `external_task_ids` may be provided to "
                             "ExternalTaskSensor; use external_task_id or external_task_ids or external_task_group_id.")
        valid = _TASK_STATES if (external_task_ids or external_task_group_id) else _RUN_STATES
        if not set(every) <= valid:
            raise ValueError(f"Valid values for `allowed_states`, `skipped_states` and `failed_states` here: {sorted(valid)}")
        if execution_delta is not None and execution_date_fn is not None:
            raise ValueError("Only one of `execution_delta` or `execution_date_fn` may be provided to "
                             "ExternalTaskSensor; not both.")
        self.external_dag_id = external_dag_id
        self.external_task_id = external_task_id
        self.external_task_ids = external_task_ids
        self.external_task_group_id = external_task_group_id
        self.execution_delta = execution_delta
        self.execution_date_fn = execution_date_fn
        self.check_existence = check_existence

    def _logical_dates(self, context: dict[str, Any]) -> list[dt.datetime]:
        logical = context.get("logical_date") or context["dag_run"].run_after
        if self.execution_delta:
            return [logical - self.execution_delta]
        if self.execution_date_fn:
            from chalicelib.sdk.operators.python import callable_kwargs

            kwargs = callable_kwargs(self.execution_date_fn, (logical,), context, {})
            result = self.execution_date_fn(logical, **kwargs)
            return result if isinstance(result, list) else [result]
        return [logical]

    def poke(self, context: dict[str, Any]) -> bool:
        if self.external_task_ids and len(self.external_task_ids) > len(set(self.external_task_ids)):
            raise ValueError("Duplicate task_ids passed in external_task_ids parameter")
        dates = self._logical_dates(context)
        what = (f"tasks {self.external_task_ids}" if self.external_task_ids else
                f"task_group '{self.external_task_group_id}'" if self.external_task_group_id else "DAG")
        log.info("Poking for %s in dag %s on %s ... ", what, self.external_dag_id,
                 ",".join(d.isoformat() for d in dates))
        if self.failed_states and self._count(dates, self.failed_states) > 0:
            self._fail_or_skip("failed")
        if self.skipped_states and self._count(dates, self.skipped_states) > 0:
            raise AirflowSkipException(f"The external {what} in DAG {self.external_dag_id} reached a skipped state.")
        return self._count(dates, self.allowed_states) == len(dates)

    def _count(self, dates: Sequence[dt.datetime], states: list[str]) -> float:
        gateway = dag_runs()
        if self.external_task_ids:
            found = gateway.count_task_instances(self.external_dag_id, self.external_task_ids, dates, states)
            return found / len(self.external_task_ids)
        if self.external_task_group_id:
            prefix = self.external_task_group_id + "."
            count = 0
            for tasks in gateway.task_states(self.external_dag_id, dates).values():
                group = [s for t, s in tasks.items() if t.startswith(prefix)]
                count += bool(group) and all(s in states for s in group)
            return count
        return gateway.count_runs(self.external_dag_id, dates, states)

    def _fail_or_skip(self, what: str) -> None:
        target = (f"The external task {self.external_task_ids}" if self.external_task_ids else
                  f"The external task group '{self.external_task_group_id}'" if self.external_task_group_id else
                  f"The external DAG {self.external_dag_id}")
        if self.soft_fail:
            raise AirflowSkipException(f"{target} in DAG {self.external_dag_id} {what}. Skipping due to soft_fail.")
        error = ExternalDagFailedError if not (self.external_task_ids or self.external_task_group_id) else ExternalTaskFailedError
        raise error(f"{target} in DAG {self.external_dag_id} {what}.")


class ExternalTaskMarker(BaseOperator):
    """Marks a dependency of another DAG's task on this one (used when clearing); it does nothing when run."""

    template_fields = ("external_dag_id", "external_task_id", "logical_date")
    ui_color = "#4db7db"

    def __init__(self, *, external_dag_id: str, external_task_id: str, logical_date: str | dt.datetime | None = "{{ logical_date.isoformat() }}",
                 recursion_depth: int = 10, **kwargs: Any):
        super().__init__(**kwargs)
        self.external_dag_id = external_dag_id
        self.external_task_id = external_task_id
        self.logical_date = logical_date
        if recursion_depth <= 0:
            raise ValueError("recursion_depth should be a positive integer")
        self.recursion_depth = recursion_depth

    def execute(self, context: dict[str, Any]) -> None:
        return None
