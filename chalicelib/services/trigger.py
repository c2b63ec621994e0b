"""Create a DAG run on demand (CLI, API) and enqueue its root tasks at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core.schedule import Schedule, manual_run_info
from chalicelib.sdk.exceptions import ParamValidationError
from chalicelib.sdk.params import validate_conf
from chalicelib.services.advance import advance_run
from chalicelib.services.backend import Backend
from chalicelib.store.errors import BadRequestError, ConflictError
from chalicelib.store.runs import StoredRun


def trigger_run(backend: Backend, dag_id: str, *, now: datetime, conf: dict[str, Any] | None = None,
                logical_date: datetime | None = None, run_id: str | None = None, note: str | None = None) -> StoredRun:
    stored = backend.dags.get(dag_id)
    spec = stored.spec
    if not stored.is_active:
        raise BadRequestError(f"DAG {dag_id!r} is no longer in the DAGs folder")
    try:
        validate_conf(spec.params, conf)
    except ParamValidationError as exc:
        raise BadRequestError(f"invalid conf for DAG {dag_id!r}: {exc}") from None
    logical = logical_date or now
    info = manual_run_info(Schedule.from_dict(spec.schedule), logical, run_after=now)
    run_id = run_id or f"manual__{now.isoformat()}"  # like Airflow 3: named after the trigger time
    if not run_id or len(run_id) > 250 or "#" in run_id:
        raise BadRequestError("dag_run_id must be 1-250 characters without '#'")
    run = backend.runs.create(spec, run_id=run_id, run_type="manual", logical_date=info.logical_date,
                              run_after=info.run_after, interval=(info.data_interval_start, info.data_interval_end),
                              conf=dict(conf or {}), note=note, now=now,
                              spec_hash=stored.spec_hash, bundle_version=stored.bundle_version)
    advance_run(backend, spec, run, now)
    backend.runs.mark_roots_enqueued(dag_id, run.run_id)
    return run


__all__ = ["trigger_run", "ConflictError"]
