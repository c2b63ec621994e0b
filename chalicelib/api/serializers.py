"""Stored items → JSON with Airflow's stable-REST-API field names (dag_id, dag_run_id, logical_date, ...).

Dates are ISO 8601 strings; states use Airflow's names, with a task instance that never ran as `null`
("no status"), as Airflow does.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

from cron_descriptor import ExpressionDescriptor, FormatException

from chalicelib.core import cost
from chalicelib.core.assets import describe as describe_assets
from chalicelib.core.mapping import split_key
from chalicelib.core.schedule import Schedule, ScheduleError
from chalicelib.core.spec import DagSpec, TaskSpec
from chalicelib.store.runs import StoredRun
from chalicelib.store.timefmt import parse_iso


def _date(value: str | None) -> str | None:
    parsed = parse_iso(value)
    return parsed.isoformat() if parsed else None


def schedule_fields(spec: DagSpec) -> dict[str, Any]:
    if spec.asset_condition and spec.schedule.get("kind") == "none":
        return {"schedule_interval": None, "schedule_kind": "assets",
                "timetable_description": f"Triggered by assets: {describe_assets(spec.asset_condition)}"}
    try:
        schedule = Schedule.from_dict(spec.schedule)
    except ScheduleError:
        return {"schedule_interval": None, "timetable_description": "unknown"}
    expression = {"cron": schedule.cron, "delta": str(schedule.delta) if schedule.delta else None}
    return {"schedule_interval": expression.get(schedule.kind.value) or (None if schedule.kind.value == "none" else "@once"),
            "schedule_kind": schedule.kind.value, "timetable_description": describe_schedule(schedule)}


def describe_schedule(schedule: Schedule) -> str:
    """The schedule in words, as Airflow's `timetable_description` (cron through cron-descriptor, as Airflow
    does); the dashboard and the CLI show this text rather than describing cron themselves."""
    kind = schedule.kind.value
    if kind == "none":
        return "Never, external triggers only"
    if kind == "once":
        return "Once, as soon as possible"
    if kind == "delta":
        return f"Every {schedule.delta}"
    try:
        text = ExpressionDescriptor(schedule.cron, use_24hour_time_format=True).get_description()
    except FormatException:
        text = f"At cron '{schedule.cron}'"
    return f"{text} ({schedule.timezone})"


def dag_summary(item: Any, spec: DagSpec, active_runs: dict[str, int] | None = None) -> dict[str, Any]:
    return {
        "dag_id": item.dag_id,
        "description": spec.description,
        "fileloc": item.relpath,
        "file_token": item.source_hash,
        "owners": [spec.owner] if spec.owner else [],
        "tags": [{"name": t} for t in spec.tags],
        "is_paused": bool(item.is_paused),
        "is_active": bool(item.is_active),
        **schedule_fields(spec),
        "next_dagrun": _date(item.next_logical_date) or _date(item.next_run_after),
        "next_dagrun_create_after": _date(item.next_run_after),
        "last_run_id": item.last_run_id,
        "last_run_state": item.last_run_state,
        "last_run_end_date": _date(item.last_run_at),
        "latest_run_task_states": _json_or_empty(getattr(item, "last_run_task_states", None)),
        "last_parsed_time": _date(item.updated_at),
        "max_active_runs": spec.max_active_runs,
        "task_count": int(item.task_count) if getattr(item, "task_count", None) is not None else len(spec.tasks),
        "active_runs": dict(active_runs or {}),
    }


def _json_or_empty(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


def dag_detail(item: Any, spec: DagSpec) -> dict[str, Any]:
    return {
        **dag_summary(item, spec),
        "doc_md": spec.doc_md,
        "params": spec.params,
        "start_date": spec.start_date.isoformat() if spec.start_date else None,
        "end_date": spec.end_date.isoformat() if spec.end_date else None,
        "catchup": spec.catchup,
        "timezone": spec.timezone,
        "dagrun_timeout": spec.dagrun_timeout,
        "max_active_tasks": spec.max_active_tasks,
        "tasks": [task(t) for t in spec.tasks],
        # Scheduled on assets: the condition as data ({"asset"} / {"all"} / {"any"}) and as text.
        "asset_expression": spec.asset_condition,
        "asset_expression_text": describe_assets(spec.asset_condition) if spec.asset_condition else None,
    }


def task(t: TaskSpec) -> dict[str, Any]:
    return {
        "task_id": t.task_id, "operator_name": t.operator, "owner": t.owner, "trigger_rule": t.trigger_rule.value,
        "upstream_task_ids": list(t.upstream), "downstream_task_ids": list(t.downstream),
        "retries": t.retry.retries, "retry_delay": t.retry.retry_delay, "execution_timeout": t.execution_timeout,
        "task_group_id": t.task_group, "doc_md": t.doc_md, "pool": t.pool, "queue": t.queue,
        "priority_weight": t.priority_weight, "template_fields": list(t.template_fields), "ui_color": t.ui_color,
        "is_sensor": t.sensor is not None, "sensor_mode": t.sensor.mode if t.sensor else None,
        "is_mapped": t.mapped is not None, "outlets": list(t.outlets),
    }


def dag_run(run: StoredRun, cost_usd: float | None = None) -> dict[str, Any]:
    """`cost_usd` is given where the run's task instances were read anyway (one run, the grid); else null."""
    return {
        "dag_id": run.dag_id, "dag_run_id": run.run_id, "run_type": run.run_type, "state": run.state.value,
        "logical_date": run.logical_date.isoformat(), "run_after": run.run_after.isoformat(),
        "data_interval_start": run.data_interval_start.isoformat(),
        "data_interval_end": run.data_interval_end.isoformat(),
        "start_date": run.start_date.isoformat() if run.start_date else None,
        "end_date": run.end_date.isoformat() if run.end_date else None,
        "duration": (run.end_date - run.start_date).total_seconds() if run.start_date and run.end_date else None,
        "conf": run.conf, "note": run.note, "external_trigger": run.run_type == "manual", "cost_usd": cost_usd,
        "dag_version_hash": run.spec_hash, "bundle_version": run.bundle_version, "failure_reason": run.failure_reason,
        "triggering_asset_events": [asset_event(e) for e in run.triggering_events],
    }


def task_instance(item: Any, spec_task: TaskSpec | None = None,
                  memory_mb: int = cost.DEFAULT_WORKER_MEMORY_MB, plan_items: int = 0,
                  slotted: bool = False) -> dict[str, Any]:
    state = item.state if item.state and item.state != "none" else None
    task_id, map_index = split_key(item.ti_key)
    out = {
        "dag_id": item.dag_id, "dag_run_id": item.run_id, "task_id": task_id, "map_index": map_index,
        "state": state, "try_number": int(item.try_number or 0), "max_tries": int(item.max_tries or 0),
        "start_date": _date(item.start_date), "end_date": _date(item.end_date),
        "duration": float(item.duration) if item.duration is not None else None,
        "queued_when": _date(item.queued_at), "hostname": item.hostname,
        "next_retry_at": _date(item.next_retry_at), "note": getattr(item, "note", None),
        "cost_usd": cost.rounded(cost.task_cost(cost.TaskTries(int(item.try_number or 0), _float(item.duration),
                                                               cost.handed_off(item.queued_at, item.start_date)),
                                                memory_mb, plan_items=plan_items, slotted=slotted)),
    }
    if spec_task is not None:
        out.update({"operator": spec_task.operator, "task_group_id": spec_task.task_group, "pool": spec_task.pool,
                    "trigger_rule": spec_task.trigger_rule.value, "is_mapped": spec_task.mapped is not None})
    return out


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


def task_instance_detail(item: Any, spec_task: TaskSpec | None,
                         memory_mb: int = cost.DEFAULT_WORKER_MEMORY_MB, plan_items: int = 0,
                         slotted: bool = False) -> dict[str, Any]:
    try_number = int(item.try_number or 0)
    return {
        **task_instance(item, spec_task, memory_mb, plan_items, slotted),
        "error": item.error,
        # A try keeps its own outcome when a user marked the task afterwards ("marked" says what to).
        "marked_from": _marked_from(item),
        "tries": [{"try_number": n, "current": n == try_number,
                   "state": ((_marked_from(item) or item.state) if n == try_number else None)}
                  for n in range(1, try_number + 1)],
    }


def _marked_from(item: Any) -> str | None:
    before = getattr(item, "marked_from", None)
    return None if before in (None, "none") else before


def grid_cell(items: list[Any]) -> dict[str, Any]:
    """One task in one run. A mapped task (instances with map_index >= 0) is summarised: its instance count,
    counts by state, and the state that matters most (a failure over running over success), as Airflow's grid."""
    indexed = [(split_key(i.ti_key)[1], i) for i in items]
    if len(indexed) == 1 and indexed[0][0] < 0:
        item = indexed[0][1]
        return {"state": _public_state(item.state), "try_number": int(item.try_number or 0),
                "next_retry_at": _date(item.next_retry_at), "queued_when": _date(getattr(item, "queued_at", None)),
                "start_date": _date(item.start_date), "end_date": _date(item.end_date),
                "duration": float(item.duration) if item.duration is not None else None}
    states = Counter(i.state or "none" for _, i in indexed)
    starts = [i.start_date for _, i in indexed if i.start_date]
    ends = [i.end_date for _, i in indexed if i.end_date]
    finished = all((i.state or "none") in _FINISHED for _, i in indexed)
    overall = next((s for s in _SUMMARY_PRIORITY if states.get(s)), None)
    return {"state": None if overall in (None, "none") else overall,
            "try_number": max((int(i.try_number or 0) for _, i in indexed), default=0),
            "start_date": _date(min(starts)) if starts else None,
            "end_date": _date(max(ends)) if ends and finished else None, "duration": None,
            "mapped": {"count": len(indexed), "states": {("none" if s is None else s): n for s, n in states.items()}}}


def _public_state(state: str | None) -> str | None:
    return state if state and state != "none" else None


# Which instance state a mapped task's summary shows: the first present in this order.
_SUMMARY_PRIORITY = ("failed", "upstream_failed", "up_for_retry", "up_for_reschedule", "running", "queued",
                     "scheduled", "none", "success", "skipped", "removed")
_FINISHED = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})




def xcom_entry(key: str, task_id: str, value_text: str | None, size: int | None = None,
               truncated: bool = False, map_index: int = -1) -> dict[str, Any]:
    """A truncated value is returned as the start of its JSON text (a string), with `truncated: true`."""
    value: Any = value_text
    if not truncated and value_text is not None:
        try:  # NaN/Infinity (stored by older versions) come back as their names: the answer stays JSON
            value = json.loads(value_text, parse_constant=lambda name: name, parse_float=_finite_or_text)
        except ValueError:
            value = value_text
    entry = {"key": key, "task_id": task_id, "map_index": map_index, "value": value, "truncated": truncated}
    if size is not None:
        entry["size_bytes"] = size
    return entry


def _finite_or_text(text: str) -> float | str:
    value = float(text)
    return value if math.isfinite(value) else text


def asset(data: dict[str, Any]) -> dict[str, Any]:
    last = data.get("last_event")
    return {"uri": data["uri"], "name": data.get("name") or data["uri"], "group": data.get("group") or "asset",
            "producing_tasks": data.get("producing_tasks", []), "consuming_dags": data.get("consuming_dags", []),
            "last_asset_event": {"id": last["id"], "timestamp": last["timestamp"]} if last else None,
            "updated_at": _date(data.get("updated_at"))}


def asset_event(event: dict[str, Any]) -> dict[str, Any]:
    return {"id": event["id"], "uri": event["uri"], "name": event.get("name") or event["uri"],
            "group": event.get("group") or "asset", "extra": event.get("extra") or {},
            "source_dag_id": event.get("source_dag_id"), "source_task_id": event.get("source_task_id"),
            "source_run_id": event.get("source_run_id"), "source_map_index": event.get("source_map_index", -1),
            "timestamp": event["timestamp"]}


def page(name: str, items: list[Any], total: int) -> dict[str, Any]:
    return {name: items, "total_entries": total}
