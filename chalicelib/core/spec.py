"""The declarative form of a DAG: what the scheduler, the worker and the API know of it without importing it.

A `DagSpec` is built from an authored DAG by `chalicelib.loader.serialize`, stored as JSON, and read back
unchanged (`to_dict`/`from_dict` round-trip). Callables are never stored: the worker imports the DAG file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from chalicelib.core.trigger_rules import TriggerRule


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 0
    retry_delay: float = 300.0  # seconds, Airflow's default
    # Airflow 3's multiplier: 0 (or 1) keeps the delay constant, 2.0 doubles it; True means 2.0.
    retry_exponential_backoff: float = 0.0
    max_retry_delay: float | None = None  # seconds


@dataclass(frozen=True)
class SensorPolicy:
    mode: str = "poke"  # "poke" or "reschedule"
    poke_interval: float = 60.0
    timeout: float = 7 * 24 * 3600.0
    soft_fail: bool = False
    exponential_backoff: bool = False
    max_wait: float | None = None


@dataclass(frozen=True)
class MapInput:
    """One argument a mapped task expands over: a literal list/dict (length known when the DAG is parsed) or
    the output of an upstream task (its length is known once that task has run)."""

    name: str  # keyword argument; "" for expand_kwargs (each element is a dict of arguments)
    length: int | None = None  # literal input
    task_id: str | None = None  # XCom input: the task whose return value is mapped over


@dataclass(frozen=True)
class MapSpec:
    """How a mapped task expands: one task instance per element of its inputs (cross product of several)."""

    inputs: tuple[MapInput, ...]
    group: str | None = None  # inside a mapped task group: instance i of an in-group upstream feeds instance i


@dataclass(frozen=True)
class TaskSpec:
    task_id: str
    operator: str  # class name, e.g. "PythonOperator", "_PythonDecoratedOperator"
    upstream: tuple[str, ...] = ()
    downstream: tuple[str, ...] = ()
    trigger_rule: TriggerRule = TriggerRule.ALL_SUCCESS
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    execution_timeout: float | None = None  # seconds
    sensor: SensorPolicy | None = None
    owner: str = "airflow"
    doc_md: str | None = None
    pool: str = "default_pool"
    priority_weight: int = 1
    queue: str = "default"
    task_group: str | None = None
    template_fields: tuple[str, ...] = ()
    ui_color: str = "#fff"
    is_setup: bool = False
    is_teardown: bool = False
    on_failure_fail_dagrun: bool = False  # a teardown that fails the run when it fails
    depends_on_past: bool = False  # waits for its own instance in the previous run to succeed or skip
    wait_for_downstream: bool = False  # ... and for that instance's direct downstream ones too
    mapped: MapSpec | None = None
    outlets: tuple[str, ...] = ()  # asset uris a success records an event for
    feeds_mapping: bool = False  # a mapped task expands over this task's output: record its length
    max_active_tis_per_dag: int | None = None  # instances of this task queued or running across the DAG's runs
    max_active_tis_per_dagrun: int | None = None  # ... within one run (mapped instances, mostly)

    @property
    def limits_instances(self) -> bool:
        return self.max_active_tis_per_dag is not None or self.max_active_tis_per_dagrun is not None


@dataclass(frozen=True)
class TaskGroupSpec:
    group_id: str
    parent: str | None
    tooltip: str = ""
    children: tuple[str, ...] = ()  # task ids and group ids directly inside


@dataclass(frozen=True)
class DagSpec:
    dag_id: str
    fileloc: str
    tasks: tuple[TaskSpec, ...]
    schedule: dict[str, Any] = field(default_factory=lambda: {"kind": "none"})
    timezone: str = "UTC"
    start_date: datetime | None = None
    end_date: datetime | None = None
    catchup: bool = False
    tags: tuple[str, ...] = ()
    description: str | None = None
    doc_md: str | None = None
    params: dict[str, Any] = field(default_factory=dict)  # name -> {"default", "schema", "description"}
    max_active_runs: int = 16
    max_active_tasks: int = 16
    dagrun_timeout: float | None = None  # seconds
    owner: str = "airflow"
    task_groups: tuple[TaskGroupSpec, ...] = ()
    has_callbacks: bool = False
    asset_condition: dict[str, Any] | None = None  # scheduled on assets (chalicelib.core.assets)
    fail_fast: bool = False  # a failed task stops the rest of the run (Airflow's fail_fast, once fail_stop)
    max_consecutive_failed_dag_runs: int = 0  # pause the DAG after this many failed runs in a row (0: never)
    edge_labels: tuple[tuple[str, str, str], ...] = ()  # (upstream, downstream, label): Label("...") on an edge
    is_paused_upon_creation: bool | None = None  # None: the installation's default (dags_are_paused_at_creation)

    def task(self, task_id: str) -> TaskSpec:
        return self.task_index()[task_id]

    def task_index(self) -> dict[str, TaskSpec]:
        index = self.__dict__.get("_task_index")
        if index is None:
            index = {t.task_id: t for t in self.tasks}
            object.__setattr__(self, "_task_index", index)
        return index

    @property
    def task_ids(self) -> list[str]:
        return [t.task_id for t in self.tasks]

    @property
    def leaves(self) -> list[str]:
        return [t.task_id for t in self.tasks if not t.downstream]

    @property
    def roots(self) -> list[str]:
        return [t.task_id for t in self.tasks if not t.upstream]

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["tasks"] = [_task_to_dict(t) for t in self.tasks]
        data["task_groups"] = [asdict(g) for g in self.task_groups]
        data["start_date"] = self.start_date.isoformat() if self.start_date else None
        data["end_date"] = self.end_date.isoformat() if self.end_date else None
        data["tags"] = list(self.tags)
        data["edge_labels"] = [list(e) for e in self.edge_labels]
        if self.is_paused_upon_creation is None:
            # Left out when unset: a stored DAG that does not set it keeps its spec hash, so an upgrade
            # records no new version of every DAG.
            del data["is_paused_upon_creation"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DagSpec:
        values = dict(data)
        values["tasks"] = tuple(_task_from_dict(t) for t in data["tasks"])
        values["task_groups"] = tuple(
            TaskGroupSpec(**{**g, "children": tuple(g["children"])}) for g in data.get("task_groups", ())
        )
        values["tags"] = tuple(data.get("tags", ()))
        values["edge_labels"] = tuple(tuple(e) for e in data.get("edge_labels", ()))
        for key in ("start_date", "end_date"):
            values[key] = datetime.fromisoformat(data[key]) if data.get(key) else None
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def _task_to_dict(task: TaskSpec) -> dict[str, Any]:
    data = asdict(task)
    data["trigger_rule"] = task.trigger_rule.value
    data["upstream"] = list(task.upstream)
    data["downstream"] = list(task.downstream)
    data["template_fields"] = list(task.template_fields)
    data["outlets"] = list(task.outlets)
    return data


def _task_from_dict(data: dict[str, Any]) -> TaskSpec:
    values = dict(data)
    values["trigger_rule"] = TriggerRule(data["trigger_rule"])
    values["retry"] = RetryPolicy(**data["retry"])
    values["sensor"] = SensorPolicy(**data["sensor"]) if data.get("sensor") else None
    if data.get("mapped"):
        mapped = data["mapped"]
        values["mapped"] = MapSpec(tuple(MapInput(**i) for i in mapped["inputs"]), mapped.get("group"))
    for key in ("upstream", "downstream", "template_fields", "outlets"):
        values[key] = tuple(data.get(key, ()))
    known = {f.name for f in fields(TaskSpec)}
    return TaskSpec(**{k: v for k, v in values.items() if k in known})
