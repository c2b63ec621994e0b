"""One task try in a child process supervised by the worker (runner/supervisor.py does the process part).

The child runs user code and nothing else: it reads what the task asks for (XComs, Variables) through its
own connections and sends back the try's result, its XCom pushes and its log; it writes nothing of the
try's outcome. The parent heartbeats the claim, enforces `execution_timeout`, and records whatever
happened, even when the child was killed, crashed, or its outcome cannot be stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.core.limits import BoundedText
from chalicelib.core.states import TaskState
from chalicelib.runner.logcapture import log_limit
from chalicelib.runner.supervisor import Channel, LogWriter, Supervised, supervise
from chalicelib.runner.timeout import on_sigterm
from chalicelib.runner.try_runner import run_try
from chalicelib.sdk import context
from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.connection import using_connection_store
from chalicelib.sdk.context import DagRunInfo
from chalicelib.sdk.dagruns import using_dag_runs
from chalicelib.sdk.masker import redact
from chalicelib.sdk.templating import template_env
from chalicelib.sdk.variable import using_variable_store
from chalicelib.services.backend import Backend
from chalicelib.services.dag_runs_gateway import StoreDagRuns
from chalicelib.services.variables import TaskVariableStore
from chalicelib.store.blobs import rendered_fields_key
from chalicelib.store.models import forget_connections
from chalicelib.store.runs import StoredRun
from chalicelib.store.timefmt import iso, parse_iso
from chalicelib.store.xcoms import DynamoXComStore

log = logging.getLogger("levante.worker")


@dataclass(frozen=True)
class ChildReport:
    """What the child said about its try (the parent decides what is recorded)."""

    state: TaskState
    start_date: datetime
    end_date: datetime
    next_retry_at: datetime | None = None
    skip_task_ids: frozenset[str] = frozenset()
    error: str | None = None
    # (task_id, map_index, key) -> JSON pushed
    xcoms: dict[tuple[str, int, str], str] = field(default_factory=dict)
    map_length: int | None = None
    asset_events: tuple[dict[str, Any], ...] = ()  # one per outlet of a successful try
    rendered_fields: dict[str, Any] | None = None  # the try's template fields as rendered, secrets masked

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state.value, "start": iso(self.start_date), "end": iso(self.end_date),
                "next": iso(self.next_retry_at) if self.next_retry_at else None, "skips": sorted(self.skip_task_ids),
                "error": self.error, "xcoms": [[t, i, k, v] for (t, i, k), v in self.xcoms.items()],
                "map_length": self.map_length, "asset_events": list(self.asset_events),
                "rendered_fields": self.rendered_fields}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChildReport:
        return cls(TaskState(data["state"]), parse_iso(data["start"]), parse_iso(data["end"]),
                   parse_iso(data["next"]), frozenset(data["skips"]), data["error"],
                   {(t, int(i), k): v for t, i, k, v in data["xcoms"]}, data.get("map_length"),
                   tuple(data.get("asset_events") or ()), data.get("rendered_fields"))


@dataclass(frozen=True)
class TryRequest:
    task: BaseOperator
    run: DagRunInfo
    try_number: int
    max_tries: int
    first_try_start: datetime | None
    map_index: int = -1


def _warm(task: BaseOperator) -> None:
    """What every child would otherwise build again (the DAG's Jinja environment imports jinja2, the context
    its own modules): build it once in this long-lived process, before the fork, so each child starts with it."""
    context.preload()
    dag = getattr(task, "dag", None)
    if dag is None:
        return
    try:
        template_env(dag)
    except Exception:  # noqa: BLE001 - the child builds it again and reports what is wrong
        log.debug("could not prepare the template environment of %s", dag.dag_id, exc_info=True)


def run_info(run: StoredRun) -> DagRunInfo:
    """The run as task code sees it (`dag_run` in the context)."""
    return DagRunInfo(run.dag_id, run.run_id, run.logical_date, run.data_interval_start, run.data_interval_end,
                      run.run_type, run.conf, run.start_date, run.run_after, run.triggering_events)


def place_rendered_fields(backend: Backend, request: TryRequest, ti_item: Any,
                          rendered: dict[str, Any] | None) -> str | None:
    """Put the try's rendered template fields (the dashboard's "Rendered templates") where readers find them
    (services/task_views.rendered_fields): the masked JSON to keep on the task-instance item with the try's
    final state when it is small (no request of its own), or None when it went to S3 (or there is none)."""
    if rendered is None:
        return None
    run, task_id = request.run, request.task.task_id
    key = rendered_fields_key(run.dag_id, run.run_id, task_id, request.try_number, request.map_index)
    try:
        # The child masked what it read; a secret that reached it only inside an upstream XCom (a connection's
        # password in a URI) it never saw, so every stored secret is masked as well, as the API masks XComs.
        masker = backend.response_masker.current()
        text = json.dumps(masker.redact(rendered, by_key=False) if masker else rendered)
    except Exception:  # noqa: BLE001 - only a view of the try: never change its outcome
        log.warning("could not mask the rendered fields of %s", key, exc_info=True)
        return None
    if len(text.encode()) > backend.settings.rendered_inline_bytes:
        store_rendered_fields(backend, key, text)
        return None
    earlier, earlier_try = ti_item.rendered_inline, ti_item.rendered_try
    if earlier is not None and earlier_try is not None and int(earlier_try) != request.try_number:
        # An earlier try's inline copy (a retry, a cleared task) moves to its own object before this one replaces it.
        store_rendered_fields(backend, rendered_fields_key(run.dag_id, run.run_id, task_id, int(earlier_try),
                                                           request.map_index), earlier)
    return text


def store_rendered_fields(backend: Backend, key: str, text: str) -> None:
    """Masked rendered fields in their S3 object (large ones, an earlier try's, or a lost try's small ones)."""
    try:
        backend.blobs.put_text(key, text, "application/json")
    except Exception:  # noqa: BLE001 - only a view of the try: never change its outcome
        log.warning("could not store the rendered fields of %s", key, exc_info=True)


def run_supervised(backend: Backend, request: TryRequest, *, now: Callable[[], datetime],
                   heartbeat: Callable[[], bool], should_stop: Callable[[], str | None],
                   on_log: Callable[[Supervised], None] | None = None) -> tuple[ChildReport | None, Supervised]:
    """Run the try in a child; (its report or None when it died without one, what the parent observed)."""
    settings = backend.settings

    def child(channel: Channel) -> dict[str, Any]:
        # Clients opened by the parent share sockets with it: the child opens its own.
        own = Backend(settings)
        forget_connections(own.models)
        run = request.run
        xcoms = DynamoXComStore(own.models, own.blobs, run.dag_id, run.run_id, settings.xcom_inline_limit)
        with (using_variable_store(TaskVariableStore(own.models, own.secrets)), using_connection_store(own.secrets),
              using_dag_runs(StoreDagRuns(own, now))):
            result = run_try(request.task, run=run, try_number=request.try_number, xcoms=xcoms,
                             max_tries=request.max_tries, first_try_start=request.first_try_start, now=now,
                             echo=LogWriter(channel), guard=on_sigterm, keep_log=False, map_index=request.map_index)
        # Masked here: the secrets this task read are known to this process's masker only.
        return ChildReport(result.state, result.start_date, result.end_date, result.next_retry_at,
                           result.skip_task_ids, redact(result.error), dict(xcoms.pending), result.map_length,
                           result.asset_events, redact(result.rendered_fields)).to_json()

    _warm(request.task)
    supervised = supervise(child, timeout=request.task.execution_timeout, kill_grace=settings.kill_grace,
                           heartbeat=heartbeat, heartbeat_interval=settings.heartbeat_interval,
                           should_stop=should_stop, log_sink=BoundedText(log_limit()), on_log=on_log)
    # The report's rendered fields are stored by this process (place_rendered_fields), not the child: the
    # child's writes may not reach a store it forked (moto), and small ones ride on the try's final write.
    report = ChildReport.from_json(supervised.report) if supervised.report is not None else None
    return report, supervised
