"""DAG-level callbacks (`on_success_callback` / `on_failure_callback`) when a run ends, in a supervised child.

services/plan_executor.py calls this after it finished a run, whoever advanced it (the worker after a try, the
tick), so one place decides that a run ended and that its callbacks run. They are user code: they run in a
child process with a deadline, so a callback that hangs or crashes never stops the worker or the tick.
"""

from __future__ import annotations

import logging

from chalicelib.core.states import RunState
from chalicelib.runner import logcapture
from chalicelib.runner.callbacks import run_dag_callbacks
from chalicelib.runner.supervisor import Channel, LogWriter, supervise
from chalicelib.sdk.dag import DAG
from chalicelib.services.backend import Backend
from chalicelib.services.supervised_try import run_info
from chalicelib.store.models import forget_connections
from chalicelib.store.runs import StoredRun
from chalicelib.store.xcoms import DynamoXComStore

log = logging.getLogger("levante.callbacks")
CALLBACK_TIMEOUT = 300.0  # seconds for all of a run's DAG callbacks together


class DagCallbacks:
    def __init__(self, backend: Backend, dag: DAG):
        self.backend, self.dag = backend, dag

    @property
    def wanted(self) -> bool:
        return bool(self.dag.on_success_callback or self.dag.on_failure_callback)

    def __call__(self, run: StoredRun, state: RunState, reason: str) -> None:
        callback = self.dag.on_success_callback if state is RunState.SUCCESS else self.dag.on_failure_callback
        if not callback:
            return
        backend, dag = self.backend, self.dag

        def child(channel: Channel) -> None:
            own = Backend(backend.settings)  # clients of its own: the parent's share sockets with it
            forget_connections(own.models)
            xcoms = DynamoXComStore(own.models, own.blobs, run.dag_id, run.run_id, backend.settings.xcom_inline_limit)
            with logcapture.capture(LogWriter(channel), keep=False):
                run_dag_callbacks(dag, run_info(run), state, reason, xcoms)

        outcome = supervise(child, timeout=CALLBACK_TIMEOUT, kill_grace=min(backend.settings.kill_grace, 10.0))
        for line in outcome.log.splitlines():
            log.info("[%s %s callback] %s", run.dag_id, state.value, line)
        if outcome.exit_code != 0:
            log.error("DAG callbacks of %s/%s did not complete: %s", run.dag_id, run.run_id, outcome.describe_death())
