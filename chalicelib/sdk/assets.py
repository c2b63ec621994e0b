"""Assets (Airflow 3) and Datasets (their Airflow 2 name): outlets a task updates, schedules a DAG waits on.

`schedule=[a, b]` (both), `schedule=a & b` / `AssetAll(a, b)`, `schedule=a | b` / `AssetAny(a, b)` become a
plain-data condition in the DAG's spec (`chalicelib.core.assets`). A task's success records one event per
outlet; the scheduler starts the DAGs whose condition the queued events meet.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.sdk.exceptions import DagDefinitionError, UnsupportedFeature


class BaseAsset:
    def __and__(self, other: BaseAsset) -> AssetAll:
        return AssetAll(self, other)

    def __or__(self, other: BaseAsset) -> AssetAny:
        return AssetAny(self, other)

    def as_condition(self) -> dict[str, Any]:
        raise NotImplementedError

    def iter_assets(self) -> list[Asset]:
        raise NotImplementedError


class Asset(BaseAsset):
    """`Asset(name)`, `Asset(uri=...)` or both; one defaults to the other, as in Airflow 3."""

    def __init__(self, name: str | None = None, uri: str | None = None, *, group: str = "asset",
                 extra: dict[str, Any] | None = None, watchers: Any = None):
        if not name and not uri:
            raise DagDefinitionError("an Asset needs a name or a uri")
        if watchers:
            raise UnsupportedFeature("Asset watchers (event-driven scheduling) are not supported by Levante")
        self.name = str(name or uri)
        self.uri = str(uri or name)
        self.group = group
        self.extra = dict(extra or {})

    def as_condition(self) -> dict[str, Any]:
        return {"asset": self.uri}

    def iter_assets(self) -> list[Asset]:
        return [self]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Asset) and (self.name, self.uri) == (other.name, other.uri)

    def __hash__(self) -> int:
        return hash((self.name, self.uri))

    def __repr__(self) -> str:
        return f"Asset(name={self.name!r}, uri={self.uri!r})"


class Dataset(Asset):
    """Airflow 2's name: `Dataset(uri, extra=None)`."""

    def __init__(self, uri: str, extra: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(name=kwargs.pop("name", None) or uri, uri=uri, extra=extra, **kwargs)


class _AssetBooleanCondition(BaseAsset):
    kind = ""

    def __init__(self, *objects: BaseAsset):
        for item in objects:
            if not isinstance(item, BaseAsset):
                raise DagDefinitionError(f"{type(self).__name__} takes assets, not {item!r}")
        if not objects:
            raise DagDefinitionError(f"{type(self).__name__} needs at least one asset")
        self.objects = objects

    def as_condition(self) -> dict[str, Any]:
        return {self.kind: [o.as_condition() for o in self.objects]}

    def iter_assets(self) -> list[Asset]:
        return [a for o in self.objects for a in o.iter_assets()]


class AssetAll(_AssetBooleanCondition):
    kind = "all"


class AssetAny(_AssetBooleanCondition):
    kind = "any"


DatasetAll, DatasetAny = AssetAll, AssetAny


class AssetAlias:
    def __init__(self, *args: Any, **kwargs: Any):
        raise UnsupportedFeature("AssetAlias is not supported by Levante; name the Asset itself")


class AssetOrTimeSchedule:
    """Runs on its timetable and also whenever the asset condition is met."""

    def __init__(self, *, timetable: Any, assets: Any):
        condition = asset_schedule(assets)
        if condition is None:
            raise DagDefinitionError(f"AssetOrTimeSchedule needs assets, not {assets!r}")
        self.timetable = timetable
        self.assets = condition


def asset_schedule(schedule: Any) -> BaseAsset | None:
    """The asset condition a DAG's `schedule=` means, or None for a time schedule."""
    if isinstance(schedule, AssetOrTimeSchedule):
        return schedule.assets
    if isinstance(schedule, BaseAsset):
        return schedule
    if isinstance(schedule, (list, tuple)) and schedule and all(isinstance(s, BaseAsset) for s in schedule):
        return schedule[0] if len(schedule) == 1 else AssetAll(*schedule)  # a list means all of them
    return None


def outlet_assets(outlets: Iterable[Any] | Any) -> list[Asset]:
    if outlets is None:
        return []
    items = outlets if isinstance(outlets, (list, tuple, set)) else [outlets]
    found: list[Asset] = []
    for item in items:
        if isinstance(item, Asset):
            found.append(item)
        elif isinstance(item, BaseAsset):
            raise DagDefinitionError(f"outlets take assets, not a condition ({item!r})")
    return found


# --- what a running task sees -----------------------------------------------------------------------------


class _OutletEvent:
    def __init__(self) -> None:
        self.extra: dict[str, Any] = {}


class OutletEventAccessors:
    """`context["outlet_events"][asset].extra = {...}`: the extra stored with the asset event."""

    def __init__(self) -> None:
        self._events: dict[str, _OutletEvent] = {}

    def __getitem__(self, key: Asset | str) -> _OutletEvent:
        uri = key.uri if isinstance(key, Asset) else str(key)
        return self._events.setdefault(uri, _OutletEvent())

    def extra_for(self, asset: Asset) -> dict[str, Any]:
        event = self._events.get(asset.uri)
        return {**asset.extra, **(event.extra if event else {})}


@dataclass(frozen=True)
class AssetEvent:
    """One event as `triggering_asset_events` shows it (Airflow's AssetEvent fields)."""

    asset: Asset
    timestamp: datetime
    extra: dict[str, Any] = field(default_factory=dict)
    source_dag_id: str | None = None
    source_task_id: str | None = None
    source_run_id: str | None = None
    source_map_index: int = -1

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AssetEvent:
        return cls(Asset(name=data.get("name"), uri=data["uri"], group=data.get("group") or "asset"),
                   datetime.fromisoformat(data["timestamp"]), dict(data.get("extra") or {}),
                   data.get("source_dag_id"), data.get("source_task_id"), data.get("source_run_id"),
                   int(data.get("source_map_index", -1)))


class InletEventAccessors:
    """`context["inlet_events"][asset]`: that asset's past events. Tasks do not read the metadata store in
    Levante, so the sequence is empty (documented in docs/authoring.md)."""

    def __getitem__(self, key: Any) -> list[AssetEvent]:
        return []


class TriggeringAssetEvents(dict):
    """`triggering_asset_events`: asset -> its events that started this run (empty for other runs).
    Indexable by the Asset or by its uri."""

    def __getitem__(self, key: Any) -> list[AssetEvent]:
        if isinstance(key, str):
            for asset, events in self.items():
                if key in (asset.uri, asset.name):
                    return events
            raise KeyError(key)
        return super().__getitem__(key)

    @classmethod
    def of(cls, events: Iterable[dict[str, Any]]) -> TriggeringAssetEvents:
        grouped = cls()
        for data in events:
            event = AssetEvent.from_dict(data)
            grouped.setdefault(event.asset, []).append(event)
        return grouped


# --- @asset: a one-task DAG that materializes an asset -----------------------------------------------------


def asset(func: Callable | None = None, *, schedule: Any = None, uri: str | None = None, name: str | None = None,
          group: str = "asset", extra: dict[str, Any] | None = None, **dag_kwargs: Any) -> Any:
    """`@asset(schedule=...)`: a DAG named after the function with one task (same name) whose outlet is the
    asset; the decorated name is that Asset, so other DAGs can be scheduled on it."""

    def build(fn: Callable) -> Asset:
        from chalicelib.sdk.dag import DAG
        from chalicelib.sdk.operators.python import PythonOperator

        produced = Asset(name=name or fn.__name__, uri=uri, group=group, extra=extra)
        # Airflow's convention: `self` is the asset, `context` the task context, any other parameter an
        # upstream asset of that name (an inlet).
        params = list(inspect.signature(fn).parameters)
        inlets = {p: Asset(name=p) for p in params if p not in ("self", "context")}

        def materialize(**context: Any) -> Any:  # not functools.wraps: the runner reads this signature
            given = {"self": produced, "context": context, **inlets}
            return fn(**{p: given[p] for p in params})

        materialize.__doc__ = fn.__doc__

        with DAG(produced.name, schedule=schedule, **dag_kwargs):
            PythonOperator(task_id=produced.name, python_callable=materialize, outlets=[produced],
                           inlets=list(inlets.values()))
        return produced

    return build(func) if func is not None else build
