"""What a running task sees: its task instance (`ti`), the DAG run, and Airflow's template context."""

from __future__ import annotations

import contextvars
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.core.mapping import ti_key
from chalicelib.core.xcom import RETURN_VALUE, encode_xcom
from chalicelib.sdk.assets import InletEventAccessors, OutletEventAccessors, TriggeringAssetEvents
from chalicelib.sdk.variable import VariableAccessor

if TYPE_CHECKING:
    from chalicelib.sdk.baseoperator import BaseOperator


class XComStore(Protocol):
    """XComs of one DAG run, per task instance (task id, map index). Values are JSON-compatible."""

    def get(self, task_id: str, key: str, map_index: int = -1) -> Any:
        """The value; raises KeyError when absent."""
        ...

    def set(self, task_id: str, key: str, value: Any, map_index: int = -1) -> None: ...

    def get_mapped(self, task_id: str, key: str) -> list[Any]:
        """Values every instance of a mapped task pushed under `key`, by map_index (instances that pushed
        nothing are left out, as in Airflow's lazy sequence)."""
        ...


class MemoryXComStore:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}  # (ti_key, key) -> JSON
        self.mapped: dict[tuple[str, str], dict[int, str]] = {}  # (task_id, key) -> {map_index: JSON}

    def get(self, task_id: str, key: str, map_index: int = -1) -> Any:
        return json.loads(self.values[(ti_key(task_id, map_index), key)])

    def set(self, task_id: str, key: str, value: Any, map_index: int = -1) -> None:
        text = encode_xcom(value)
        self.values[(ti_key(task_id, map_index), key)] = text
        if map_index >= 0:
            self.mapped.setdefault((task_id, key), {})[map_index] = text

    def get_mapped(self, task_id: str, key: str) -> list[Any]:
        found = self.mapped.get((task_id, key), {})
        return [json.loads(found[i]) for i in sorted(found)]


@dataclass(frozen=True)
class DagRunInfo:
    """The DAG run as tasks see it (`context["dag_run"]`)."""

    dag_id: str
    run_id: str
    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    run_type: str = "manual"
    conf: dict[str, Any] = field(default_factory=dict)
    start_date: datetime | None = None
    run_after: datetime | None = None
    triggering_events: tuple[dict[str, Any], ...] = ()  # asset events that started an asset-triggered run

    @property
    def execution_date(self) -> datetime:  # Airflow 2 name
        return self.logical_date

    @property
    def external_trigger(self) -> bool:
        return self.run_type == "manual"


class RuntimeTaskInstance:
    """`ti` / `task_instance` in the context: identity, try number, and XCom access."""

    def __init__(self, task: BaseOperator, run: DagRunInfo, try_number: int, xcoms: XComStore,
                 max_tries: int = 0, start_date: datetime | None = None, first_try_start: datetime | None = None,
                 map_index: int = -1):
        self.task = task
        self.task_id = task.task_id
        self.dag_id = run.dag_id
        self.run_id = run.run_id
        self.map_index = map_index
        self.try_number = try_number
        self.max_tries = max_tries
        self.logical_date = run.logical_date
        self.start_date = start_date
        self.first_try_start = first_try_start or start_date
        self.hostname = socket.gethostname()
        self.xcoms = xcoms
        self.skip_requested: set[str] = set()  # downstream task ids a branch/short-circuit chose to skip
        self.map_length: int | None = None  # set when the output feeds a mapped task (see TryResult)
        self.outlet_events = OutletEventAccessors()  # extras the task sets on its outlets' events

    @property
    def execution_date(self) -> datetime:
        return self.logical_date

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms.set(self.task_id, key, value, self.map_index)

    def xcom_pull(self, task_ids: str | list[str] | None = None, key: str = RETURN_VALUE,
                  dag_id: str | None = None, map_indexes: Any = None, default: Any = None,
                  include_prior_dates: bool = False) -> Any:
        if dag_id not in (None, self.dag_id):
            raise NotImplementedError("xcom_pull from another DAG is not supported by Levante")
        if task_ids is None:
            task_ids = self.task_id
        if isinstance(task_ids, str):
            return self._pull_one(task_ids, key, default, map_indexes)
        return [self._pull_one(t, key, default, map_indexes) for t in task_ids]

    def _pull_one(self, task_id: str, key: str, default: Any, map_indexes: Any) -> Any:
        """A mapped task's XCom: the instance asked for, the same instance within one mapped task group,
        otherwise every instance's value in map_index order (Airflow's lazy sequence)."""
        if isinstance(map_indexes, (list, tuple, range)):
            return [self._pull_one(task_id, key, default, int(i)) for i in map_indexes]
        map_index = -1 if map_indexes is None else int(map_indexes)
        if map_indexes is None and self._is_mapped(task_id):
            if self.map_index >= 0 and self._same_mapped_group(task_id):
                map_index = self.map_index
            else:
                return self.xcoms.get_mapped(task_id, key)
        try:
            return self.xcoms.get(task_id, key, map_index)
        except KeyError:
            return default

    def _other(self, task_id: str) -> Any:
        dag = getattr(self.task, "dag", None)
        return dag.get_task(task_id) if dag is not None and dag.has_task(task_id) else None

    def _is_mapped(self, task_id: str) -> bool:
        from chalicelib.sdk.mappedoperator import is_mapped

        other = self._other(task_id)
        return other is not None and is_mapped(other)

    def _same_mapped_group(self, task_id: str) -> bool:
        from chalicelib.sdk.mappedoperator import mapped_group_of

        group = mapped_group_of(getattr(self.task, "task_group", None))
        other = self._other(task_id)
        return group is not None and other is not None and mapped_group_of(other.task_group) is group

    def skip_downstream(self, task_ids: set[str]) -> None:
        self.skip_requested |= set(task_ids)

    def __repr__(self) -> str:
        index = f" map_index={self.map_index}" if self.map_index >= 0 else ""
        return f"<TaskInstance: {self.dag_id}.{self.task_id} {self.run_id}{index} [try {self.try_number}]>"


def _pendulum(value: datetime | None) -> Any:
    """Airflow gives tasks pendulum DateTimes (in UTC): `.in_timezone()`, `.add()`, `.format()` work on them."""
    if value is None:
        return None
    import pendulum

    return pendulum.instance(value).in_timezone("UTC")


def pendulum_run(run: DagRunInfo) -> DagRunInfo:
    return replace(run, logical_date=_pendulum(run.logical_date), data_interval_start=_pendulum(run.data_interval_start),
                   data_interval_end=_pendulum(run.data_interval_end), start_date=_pendulum(run.start_date),
                   run_after=_pendulum(run.run_after))


def _previous_success(run: DagRunInfo) -> dict[str, Any]:
    """The previous successful run's dates, looked up only when a template or the task reads one (as Airflow
    does, with the same lazy proxies): most tasks never pay the query. `dags test` knows no earlier run."""
    import lazy_object_proxy

    from chalicelib.sdk.dagruns import dag_runs

    gateway = dag_runs()
    found: list[Any] = []

    def value_of(name: str) -> Any:
        if not found:
            found.append(gateway.previous_success(run.dag_id, run.logical_date))
        previous = found[0]
        return _pendulum(getattr(previous, name)) if previous is not None else None

    names = {"prev_start_date_success": "start_date", "prev_end_date_success": "end_date",
             "prev_data_interval_start_success": "data_interval_start",
             "prev_data_interval_end_success": "data_interval_end"}
    return {key: lazy_object_proxy.Proxy(lambda name=name: value_of(name)) for key, name in names.items()}


def preload() -> None:
    """Import what build_context imports on first use. A worker calls it before forking each try's child, so the
    child inherits the modules instead of importing them again (4 of its 9 ms for a trivial task, when the
    modules have no cached bytecode)."""
    import lazy_object_proxy  # noqa: F401
    import pendulum  # noqa: F401

    from chalicelib.sdk import dagruns, macros  # noqa: F401


def build_context(task: BaseOperator, ti: RuntimeTaskInstance, run: DagRunInfo, params: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.sdk import macros

    run = pendulum_run(run)
    ti.logical_date = run.logical_date
    ti.start_date = _pendulum(ti.start_date)
    logical = run.logical_date
    ds = logical.strftime("%Y-%m-%d")
    ds_nodash = ds.replace("-", "")
    return {
        "dag": task.dag,
        "task": task,
        "ti": ti,
        "task_instance": ti,
        "dag_run": run,
        "run_id": run.run_id,
        "logical_date": logical,
        "execution_date": logical,
        "data_interval_start": run.data_interval_start,
        "data_interval_end": run.data_interval_end,
        "ds": ds,
        "ds_nodash": ds_nodash,
        "task_instance_key_str": f"{run.dag_id}__{task.task_id}__{ds_nodash}",
        "task_reschedule_count": getattr(ti, "reschedule_count", 0),
        **_previous_success(run),
        "partition_key": None,
        "partition_date": None,
        "ts": logical.isoformat(),
        "ts_nodash": logical.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": logical.isoformat().replace("-", "").replace(":", ""),
        "next_ds": run.data_interval_end.strftime("%Y-%m-%d"),
        "prev_ds": run.data_interval_start.strftime("%Y-%m-%d"),
        "params": params,
        "conf": _ConfProxy(),
        "macros": macros,
        "var": {"value": VariableAccessor(False), "json": VariableAccessor(True)},
        "inlets": list(getattr(task, "inlets", []) or []),
        "outlets": list(getattr(task, "outlets", []) or []),
        "outlet_events": ti.outlet_events,
        "inlet_events": InletEventAccessors(),
        "triggering_asset_events": TriggeringAssetEvents.of(run.triggering_events),
        "map_index_template": None,
        "try_number": ti.try_number,
    }


class _ConfProxy:
    """`{{ conf.get(...) }}`: Airflow's config object; Levante has no airflow.cfg, so only defaults."""

    def get(self, section: str, key: str, fallback: Any = None) -> Any:
        return fallback


_current: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("levante_task_context")


@contextmanager
def running_context(context: dict[str, Any]) -> Iterator[None]:
    token = _current.set(context)
    try:
        yield
    finally:
        _current.reset(token)


def get_current_context() -> dict[str, Any]:
    """The context of the task running now; only valid while a task executes."""
    try:
        return _current.get()
    except LookupError:
        raise RuntimeError(
            "get_current_context() works only while a task runs: call it inside a task's function"
        ) from None
