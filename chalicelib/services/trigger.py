"""Create a DAG run on demand (CLI, API) and enqueue its root tasks at once.

As in Airflow, a run beyond the DAG's `max_active_runs`, or of a paused DAG, is created `queued`: the
scheduler tick starts it when a slot frees and the DAG is unpaused. (Two triggers racing for the last slot
may both start: the count and the start are separate requests.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core.inputs import InvalidInput, check_datetime, check_json_value, check_run_id, check_text
from chalicelib.core.schedule import Schedule, manual_run_info
from chalicelib.core.states import RunState
from chalicelib.sdk.exceptions import ParamValidationError
from chalicelib.sdk.params import validate_conf
from chalicelib.services.backend import Backend
from chalicelib.services.plan_executor import advance_run
from chalicelib.store.errors import BadRequestError, ConflictError
from chalicelib.store.runs import StoredRun


def trigger_run(backend: Backend, dag_id: str, *, now: datetime, conf: dict[str, Any] | None = None,
                logical_date: datetime | None = None, run_id: str | None = None, note: str | None = None) -> StoredRun:
    stored = backend.dags.get(dag_id)
    spec = stored.spec
    if not stored.is_active:
        raise BadRequestError(f"DAG {dag_id!r} is no longer in the DAGs folder")
    _check_inputs(backend, conf, logical_date, run_id, note)
    try:
        validate_conf(spec.params, conf)
    except ParamValidationError as exc:
        raise BadRequestError(f"invalid conf for DAG {dag_id!r}: {exc}") from None
    logical = logical_date or now
    try:
        info = manual_run_info(Schedule.from_dict(spec.schedule), logical, run_after=now)
    except OverflowError:  # the data interval around a date near year 9999 leaves datetime's range
        raise BadRequestError(f"logical_date {logical.isoformat()} is too close to the end of the calendar "
                              "for this DAG's schedule") from None
    run_id = run_id or f"manual__{now.isoformat()}"  # like Airflow 3: named after the trigger time
    waits = stored.is_paused or backend.runs.running_count(dag_id) >= spec.max_active_runs
    run = backend.runs.create(spec, run_id=run_id, run_type="manual", logical_date=info.logical_date,
                              run_after=info.run_after, interval=(info.data_interval_start, info.data_interval_end),
                              conf=dict(conf or {}), note=note, now=now,
                              spec_hash=stored.spec_hash, bundle_version=stored.bundle_version,
                              state=RunState.QUEUED if waits else RunState.RUNNING)
    if waits:
        return run
    advance_run(backend, spec, run, now, paused=False)
    backend.runs.mark_roots_enqueued(dag_id, run.run_id)
    return run


def _check_inputs(backend: Backend, conf: dict[str, Any] | None, logical_date: datetime | None,
                  run_id: str | None, note: str | None) -> None:
    """The edge's rules again, for callers that are not the API (the CLI, tests, other services)."""
    try:
        if run_id is not None:
            check_run_id(run_id, backend.settings.run_id_pattern)
        if conf is not None:
            check_json_value("conf", conf)
        if logical_date is not None:
            check_datetime("logical_date", logical_date)
        if note is not None:
            check_text("note", note, multiline=True)
    except InvalidInput as exc:
        raise BadRequestError(str(exc)) from None


__all__ = ["trigger_run", "ConflictError"]
