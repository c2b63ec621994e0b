"""Run one try of one task: render, execute under its timeout, push XComs, call callbacks, and say what
state the try ends in. Shared by `levante dags test`, `levante tasks test` and the worker.
"""

from __future__ import annotations

import copy
import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from chalicelib.core.retries import after_failure
from chalicelib.core.spec import RetryPolicy
from chalicelib.core.states import TaskState
from chalicelib.core.xcom import RETURN_VALUE
from chalicelib.runner import logcapture
from chalicelib.runner.timeout import Guard, execution_timeout
from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.context import DagRunInfo, RuntimeTaskInstance, XComStore, build_context, running_context
from chalicelib.sdk.exceptions import (
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTerminated,
    AirflowTaskTimeout,
    ParamValidationError,
)
from chalicelib.sdk.expand_input import (
    UnmappableXComLengthPushed,
    UnmappableXComTypePushed,
    XComForMappingNotPushed,
    max_map_length,
)
from chalicelib.sdk.mappedoperator import MappedOperator
from chalicelib.sdk.timeutil import as_aware, using_clock

log = logging.getLogger("levante.task")


@dataclass(frozen=True)
class TryResult:
    task_id: str
    try_number: int
    state: TaskState  # SUCCESS, FAILED, SKIPPED, UP_FOR_RETRY or UP_FOR_RESCHEDULE
    start_date: datetime
    end_date: datetime
    next_retry_at: datetime | None = None  # for UP_FOR_RETRY and UP_FOR_RESCHEDULE
    skip_task_ids: frozenset[str] = frozenset()  # downstream tasks a branch/short-circuit skipped
    map_index: int = -1
    map_length: int | None = None  # what the output offers a downstream expansion (see TaskInstanceView)
    asset_events: tuple[dict[str, Any], ...] = ()  # one per outlet, when the try succeeded
    rendered_fields: dict[str, Any] | None = None  # template fields after rendering (None: rendering never finished)
    error: str | None = None
    log: str = ""

    @property
    def duration(self) -> float:
        return (self.end_date - self.start_date).total_seconds()


def retry_policy(task: BaseOperator) -> RetryPolicy:
    return RetryPolicy(
        retries=task.retries, retry_delay=task.retry_delay or 0.0,
        retry_exponential_backoff=task.retry_exponential_backoff, max_retry_delay=task.max_retry_delay,
    )


def run_try(
    task: BaseOperator,
    *,
    run: DagRunInfo,
    try_number: int,
    xcoms: XComStore,
    max_tries: int | None = None,
    first_try_start: datetime | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    echo: TextIO | None = None,
    jitter: bool = True,
    guard: Guard = execution_timeout,
    keep_log: bool = True,
    map_index: int = -1,
) -> TryResult:
    """`guard` enforces execution_timeout around execute: a timer in process, or the supervisor's SIGTERM.
    Without `keep_log` the log only goes to `echo` (a supervised child streams it to its parent)."""
    task = copy.copy(task)  # rendering writes fields; keep the DAG's task pristine for the next try
    start = now()
    ti = RuntimeTaskInstance(task, run, try_number, xcoms, max_tries=max_tries if max_tries is not None else task.retries,
                             start_date=start, first_try_start=first_try_start or start, map_index=map_index)
    with logcapture.capture(echo, keep=keep_log) as task_log:
        index = f" map_index={map_index}" if map_index >= 0 else ""
        log.info("Running %s%s (try %d) of run %s", task.task_id, index, try_number, run.run_id)
        try:  # task-level params override the DAG's; the run's conf overrides both (Airflow's default)
            context = build_context(task, ti, run, task.params.resolve(run.conf))
        except ParamValidationError as exc:
            context = build_context(task, ti, run, {})
            log.error("Invalid params: %s", exc)
            state, error, retryable, reschedule_at = TaskState.FAILED, exc, False, None
        else:
            with running_context(context), using_clock(now):
                task, state, error, retryable, reschedule_at = _materialize_and_execute(task, context, ti, guard)
        next_retry_at = reschedule_at
        end = now()
        if state is TaskState.FAILED:
            verdict = after_failure(retry_policy(task), try_number=try_number, max_tries=ti.max_tries,
                                    retryable=retryable, failed_at=end, seed=f"{run.dag_id}#{task.task_id}#{run.run_id}",
                                    jitter=jitter)
            state, next_retry_at = verdict.state, verdict.next_retry_at
        context["exception"] = error
        _finish_log(state, next_retry_at)
        _run_callbacks(task, state, context)
    return TryResult(
        task_id=task.task_id, try_number=try_number, state=state, start_date=start, end_date=end,
        next_retry_at=next_retry_at, skip_task_ids=frozenset(ti.skip_requested) if state is TaskState.SUCCESS else frozenset(),
        error=None if error is None else f"{type(error).__name__}: {error}", log=task_log.getvalue(),
        map_index=map_index, map_length=ti.map_length if state is TaskState.SUCCESS else None,
        asset_events=_asset_events(task, ti) if state is TaskState.SUCCESS else (),
        rendered_fields=getattr(ti, "rendered_fields", None),
    )


def _asset_events(task: BaseOperator, ti: RuntimeTaskInstance) -> tuple[dict[str, Any], ...]:
    """The events a successful try records: one per outlet, with the extra the task set on it."""
    return tuple({"uri": a.uri, "name": a.name, "group": a.group, "extra": ti.outlet_events.extra_for(a)}
                 for a in getattr(task, "outlets", []) or [])


def _materialize_and_execute(task: BaseOperator, context: dict[str, Any], ti: RuntimeTaskInstance, guard: Guard
                             ) -> tuple[BaseOperator, TaskState, BaseException | None, bool, datetime | None]:
    """A mapped task's instance runs as the real operator built from its partial and expanded arguments."""
    if isinstance(task, MappedOperator):
        try:
            task = task.materialize(ti.map_index, context)
        except Exception as exc:  # noqa: BLE001 - a bad mapped argument fails this instance
            log.error("Could not build mapped instance %d:\n%s", ti.map_index,
                      "".join(traceback.format_exception(exc)).rstrip())
            return task, TaskState.FAILED, exc, True, None
        ti.task = task
        context["task"] = task
    return (task, *_execute(task, context, ti, guard))


def _execute(task: BaseOperator, context: dict[str, Any], ti: RuntimeTaskInstance, guard: Guard
             ) -> tuple[TaskState, BaseException | None, bool, datetime | None]:
    """(state, error, retryable, reschedule_at) of executing the task once."""
    try:
        _call_all(task.callbacks("execute"), context, "on_execute_callback")
        with guard(task.execution_timeout, getattr(task, "on_kill", None)):
            task.render_template_fields(context)
            ti.rendered_fields = rendered_snapshot(task)  # what Airflow keeps as the try's rendered fields
            task.pre_execute(context)
            result = task.execute(context)
            task.post_execute(context, result)
        _push_result(task, ti, result)
        return TaskState.SUCCESS, None, True, None
    except AirflowSkipException as exc:
        log.info("Skipping task: %s", exc)
        return TaskState.SKIPPED, None, True, None
    except AirflowRescheduleException as exc:
        log.info("Rescheduling task; next poke at %s", exc.reschedule_date)
        return TaskState.UP_FOR_RESCHEDULE, None, True, as_aware(exc.reschedule_date)
    except (AirflowFailException, AirflowSensorTimeout) as exc:
        log.error("Task failed without retrying: %s", exc)
        return TaskState.FAILED, exc, False, None
    except (Exception, SystemExit, AirflowTaskTimeout, AirflowTaskTerminated) as exc:  # noqa: BLE001 - user code's error
        log.error("Task failed with exception\n%s", "".join(traceback.format_exception(exc)).rstrip())
        return TaskState.FAILED, exc, True, None


MAX_RENDERED_FIELD_CHARS = 4096  # as Airflow's [core] max_templated_field_length


def rendered_snapshot(task: BaseOperator) -> dict[str, Any]:
    """Each template field as rendered, JSON-safe (repr of other objects), long text cut as Airflow cuts it."""
    out: dict[str, Any] = {}
    for name in task.template_fields:
        value = getattr(task, name, None)
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):
            value = text = repr(value)
        if len(text) > MAX_RENDERED_FIELD_CHARS:
            value = f"(cut to the first {MAX_RENDERED_FIELD_CHARS} characters) {text[:MAX_RENDERED_FIELD_CHARS]}"
        out[name] = value
    return out


def _push_result(task: BaseOperator, ti: RuntimeTaskInstance, result: Any) -> None:
    if task._feeds_mapping and ti.map_index < 0:
        # Airflow fails the producer, not the mapped task: nothing pushed, not a list/dict, or too long.
        _check_mappable(result if task.do_xcom_push else None)
        ti.map_length = len(result)
    if not task.do_xcom_push or result is None:
        return
    if ti.map_index >= 0:
        ti.map_length = 1  # one more element of this mapped task's output (Airflow's second-order mapping)
    if task.multiple_outputs:
        if not isinstance(result, dict):
            raise TypeError(f"Returned output was type {type(result)} expected dictionary for multiple_outputs")
        for key, value in result.items():
            if not isinstance(key, str):
                raise TypeError(f"Returned dictionary keys must be strings when using multiple_outputs, found {key!r}")
            ti.xcom_push(key, value)
    ti.xcom_push(RETURN_VALUE, result)


def _check_mappable(result: Any) -> None:
    if result is None:
        raise XComForMappingNotPushed()
    if isinstance(result, (str, bytes)) or not isinstance(result, (list, tuple, dict)):
        raise UnmappableXComTypePushed(result)
    limit = max_map_length()
    if len(result) > limit:
        raise UnmappableXComLengthPushed(result, limit)


def _finish_log(state: TaskState, next_retry_at: datetime | None) -> None:
    if state is TaskState.UP_FOR_RETRY:
        log.info("Marking task as UP_FOR_RETRY; next try at %s", next_retry_at.isoformat() if next_retry_at else "-")
    else:
        log.info("Marking task as %s", state.value.upper())


_CALLBACK_BY_STATE = {
    TaskState.SUCCESS: "success",
    TaskState.FAILED: "failure",
    TaskState.UP_FOR_RETRY: "retry",
    TaskState.SKIPPED: "skipped",
}


def _run_callbacks(task: BaseOperator, state: TaskState, context: dict[str, Any]) -> None:
    kind = _CALLBACK_BY_STATE.get(state)
    if kind is None:
        return
    callbacks = task.callbacks(kind) if kind != "skipped" else _as_list(getattr(task, "on_skipped_callback", None))
    _call_all(callbacks, context, f"on_{kind}_callback")
    if kind in ("failure", "retry") and getattr(task, "email", None) and getattr(task, f"email_on_{kind}", True):
        try:  # as in Airflow, a mail that cannot be sent is logged, never changes the task's state
            from chalicelib.providers.smtp import email_alert

            email_alert(task, context, retry=kind == "retry")
        except Exception:  # noqa: BLE001
            log.exception("Failed to send email to: %s", task.email)


def _as_list(value: Any) -> list[Callable]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _call_all(callbacks: list[Callable], context: dict[str, Any], name: str) -> None:
    """Callbacks never change the task's state; their errors are logged (as in Airflow)."""
    for callback in callbacks:
        try:
            callback(context)
        except Exception:  # noqa: BLE001
            log.exception("Error in %s", name)
