"""After a try, decide its direct downstream tasks from its edges (core/edges.py), not from the whole run.

    count (every finished try): +1 on each downstream with several upstreams, +1 on the run's leaf counter
    decide (a success, in a DAG and run that allow it): per downstream, the verdict from the edge, or from
        the upstream states read by key once the counter reaches the in-degree
    apply: send what is ready, one SQS batch of fresh messages (no write: their claim is conditional on
        none/scheduled, store/try_writes.claim_fresh; the tick queues one whose message is lost), or hand one
        task to the calling worker (conditional: none/scheduled -> running, services/handoff.py); where the DAG's slots can
        bind, through the run's slot counter (services/slot_gate.py); the run's completion is checked (whole
        run, once) when its last leaf finished, or where slots bind when the run's last held slot is given
        back (`hand_on_slot`)

Anything unusual (a settle to propagate, a downstream already queued or finished by someone else, a branch's
skips) hands back to the whole-run plan of services/plan_executor.py, which is what ran before.
"""

from __future__ import annotations

import logging
from datetime import datetime

from chalicelib.core.edges import (
    edge_plan_applies,
    leaf_ids,
    run_allows_edge_plan,
    slots_bind,
    verdict_from_edge,
    verdict_from_states,
)
from chalicelib.core.spec import DagSpec
from chalicelib.core.states import TaskState
from chalicelib.core.trigger_rules import Verdict
from chalicelib.services.backend import Backend
from chalicelib.services.handoff import Handoff
from chalicelib.services.plan_executor import RunCallbacks, advance_run
from chalicelib.services.slot_gate import SlotGate, Start
from chalicelib.store.errors import NotFoundError
from chalicelib.store.progress import RunProgress
from chalicelib.store.runs import StoredRun
from chalicelib.store.slots import RunSlots
from chalicelib.taskqueue import FRESH_TRY, TaskMessage

log = logging.getLogger("levante.advance")


def advance_from_edges(backend: Backend, spec: DagSpec, run: StoredRun, task_id: str, state: TaskState,
                       now: datetime, *, callbacks: RunCallbacks | None = None, skips: bool = False,
                       handoff: Handoff | None = None, gate: SlotGate | None = None) -> bool:
    """Count this finished try on its edges and, when possible, advance the run from them.

    True when done; False when the caller must plan the whole run (services/plan_executor.advance_run). `run` may
    be as read before the try: a run marked success or failed meanwhile had its unstarted tasks marked first,
    and a deleted one lost its items, so the conditional enqueue refuses and the whole-run plan decides.
    `handoff`: one ready task may be claimed for the calling worker instead of queued (services/handoff.py).
    `gate`: where the DAG's slots can bind, the slot gate holding this try's slot; the caller closes it.
    """
    if not edge_plan_applies(spec) or not state.finished:
        return False
    progress = RunProgress(backend.models)
    counts, leaves_done = progress.count_finished(spec, run.run_id, run.created_at, task_id, now)
    leaf = task_id in leaf_ids(spec)
    if state is not TaskState.SUCCESS or skips or not run_allows_edge_plan(spec, run.state, run.start_date, now):
        return False
    ready: list[str] = []
    for down in sorted(spec.task(task_id).downstream):
        done, down_state = counts.get(down, (None, None))
        if down_state is not None and down_state.finished:
            return False  # settled by someone else meanwhile: let the whole-run plan see what follows from it
        verdict = verdict_from_edge(spec, down, finished=state, done=done)
        if verdict is None:
            upstream = spec.task(down).upstream
            verdict = verdict_from_states(spec, down, progress.states(spec.dag_id, run.run_id, upstream))
        if verdict is Verdict.RUN:
            ready.append(down)
        elif verdict is not Verdict.WAIT:
            return False  # a skip or upstream_failed to propagate: the whole-run plan cascades it
    if ready and slots_bind(spec):
        own = gate is None
        gate = gate or SlotGate(backend, spec, run, now, handoff=handoff)
        started = gate.start([Start(down) for down in ready])
        if own:
            gate.close()
        if not started:
            return False
    elif ready and not _enqueue(backend, spec, run, ready, now, handoff):
        return False
    if leaf and leaves_done >= len(leaf_ids(spec)):
        # The last leaf (or a recount after a clear): decide the run's completion on the whole run, once.
        advance_run(backend, spec, backend.runs.get(spec.dag_id, run.run_id), now, candidates=[], callbacks=callbacks)
    return True


def hand_on_slot(backend: Backend, spec: DagSpec, run: StoredRun, gate: SlotGate | None, now: datetime, *,
                 callbacks: RunCallbacks | None = None) -> None:
    """After a try of a DAG whose slots bind: hand on or give back the slot it held (`gate`, None for a try that
    held none, a retry), then, as the leaf counter does for other DAGs, decide the run's completion once no try
    holds a slot any more (the try that gave back the last one, or a slot-less try that finds none held)."""
    if gate is not None:
        gate.now = now
        gate.close()
    if not (gate.emptied if gate is not None else not RunSlots.of_run(backend.models, spec, run).held()):
        return
    try:
        current = backend.runs.get(spec.dag_id, run.run_id)
    except NotFoundError:  # deleted meanwhile: nothing to finish
        return
    advance_run(backend, spec, current, now, candidates=[], callbacks=callbacks)


def _enqueue(backend: Backend, spec: DagSpec, run: StoredRun, ready: list[str], now: datetime,
             handoff: Handoff | None) -> bool:
    """Queue the ready tasks (one may be handed off); False if one was taken by another actor (the whole-run
    plan then decides)."""
    if backend.dags.is_paused(spec.dag_id):
        # Airflow 3 starts no task of a paused DAG's runs: scheduled, the tick queues them once it is unpaused
        for down in ready:
            backend.runs.schedule(spec.dag_id, run.run_id, down)
        return True
    messages: list[tuple[TaskMessage, int]] = []
    taken = False
    carried = run.message_fields(now)  # the run rides on the messages: their workers need not read it
    for down in ready:
        task = spec.task(down)
        if handoff is not None and handoff.accepts(task):
            taken = not handoff.take(backend.runs, run, task, now) or taken
            continue
        if carried:  # a fresh message: no queued write, its claim decides (store/try_writes.claim_fresh)
            messages.append((TaskMessage(spec.dag_id, run.run_id, down, FRESH_TRY, **carried), 0))
            continue
        try_number = backend.runs.enqueue_next(spec.dag_id, run.run_id, down, now)
        if try_number is None:
            taken = True
        else:
            messages.append((TaskMessage(spec.dag_id, run.run_id, down, try_number), 0))
    failed = backend.queue.send(messages) if messages else []
    if failed:  # left QUEUED, or not started and ready: the tick re-sends (or queues) them
        log.warning("could not send %d task message(s); the scheduler will re-send them", len(failed))
    return not taken
