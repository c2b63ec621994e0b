"""DAG-level callbacks (`on_success_callback` / `on_failure_callback` of the DAG), run once when a run ends."""

from __future__ import annotations

import logging

from chalicelib.core.states import RunState
from chalicelib.sdk.context import DagRunInfo, RuntimeTaskInstance, XComStore, build_context
from chalicelib.sdk.dag import DAG

log = logging.getLogger("levante.callbacks")


def run_dag_callbacks(dag: DAG, run: DagRunInfo, state: RunState, reason: str, xcoms: XComStore) -> None:
    callback = dag.on_success_callback if state is RunState.SUCCESS else dag.on_failure_callback
    if not callback or not dag.tasks:
        return
    task = dag.leaves[0] if dag.leaves else dag.tasks[0]
    ti = RuntimeTaskInstance(task, run, 0, xcoms)
    try:
        params = dag.params.resolve(run.conf)
    except Exception:  # noqa: BLE001 - callbacks still run with the defaults they can get
        params = {}
    context = build_context(task, ti, run, params)
    context["reason"] = "success" if state is RunState.SUCCESS else (reason or "task_failure")
    for fn in callback if isinstance(callback, (list, tuple)) else [callback]:
        try:
            fn(context)
        except Exception:  # noqa: BLE001 - a callback's error never changes the run
            log.exception("Error in the DAG's %s callback of %s", context["reason"], dag.dag_id)
