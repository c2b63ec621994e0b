"""Asset-triggered runs: the tick starts each DAG whose asset condition the queued events meet.

Airflow's semantics: every event of an asset a DAG is scheduled on is queued for that DAG; when the queued
assets satisfy the DAG's condition (all of a list / AssetAll, one of AssetAny, nested), one run is created
with those events as its `triggering_asset_events`, and they leave the queue. Events of assets the
condition does not yet need stay queued for the next run. A paused DAG keeps its queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from chalicelib.core import assets as conditions
from chalicelib.services.backend import Backend
from chalicelib.services.plan_executor import advance_run
from chalicelib.store.assets import AssetRepository, QueuedEvent
from chalicelib.store.dags import StoredDag
from chalicelib.store.errors import ConflictError

log = logging.getLogger("levante.assets")


def create_asset_triggered_runs(backend: Backend, stored: Callable[[str], StoredDag | None], now: datetime) -> list[str]:
    """Runs created (`dag_id/run_id`); reads the queue once, then only the DAGs that have queued events."""
    repo = AssetRepository(backend.models)
    created = []
    for dag_id, queued in repo.queued().items():
        dag = stored(dag_id)
        if dag is None or not dag.is_active or dag.spec.asset_condition is None:
            repo.consume(queued)  # the DAG is gone or no longer scheduled on assets: nothing will consume these
            continue
        if dag.is_paused:
            continue
        run_id = _create_if_met(backend, dag, queued, now)
        if run_id is not None:
            created.append(f"{dag_id}/{run_id}")
    return created


def _create_if_met(backend: Backend, dag: StoredDag, queued: list[QueuedEvent], now: datetime) -> str | None:
    spec = dag.spec
    condition = conditions.validate(spec.asset_condition)
    wanted = set(conditions.uris(condition))
    relevant = [q for q in queued if q.uri in wanted]
    if not conditions.is_met(condition, {q.uri for q in relevant}):
        return None
    if spec.max_active_runs - backend.runs.active_count(spec.dag_id) <= 0:
        return None  # the events wait in the queue, as in Airflow
    run_id = f"asset_triggered__{now.isoformat()}"
    try:
        run = backend.runs.create(spec, run_id=run_id, run_type="asset_triggered", logical_date=now, run_after=now,
                                  interval=(now, now), conf={}, note=None, now=now, spec_hash=dag.spec_hash,
                                  bundle_version=dag.bundle_version, triggering_events=[q.event for q in relevant])
    except ConflictError:
        log.info("run %s of %s already exists (another tick created it)", run_id, spec.dag_id)
        return None
    AssetRepository(backend.models).consume(queued)  # events of assets the condition no longer names go too
    advance_run(backend, spec, run, now)
    backend.runs.mark_roots_enqueued(spec.dag_id, run_id)
    log.info("asset-triggered run %s of %s from %d event(s)", run_id, spec.dag_id, len(relevant))
    return run_id
