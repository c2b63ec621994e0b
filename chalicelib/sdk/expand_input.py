"""What a mapped task expands over: `.expand(name=values, ...)` or `.expand_kwargs(list_of_dicts)`.

Each input is a literal list/dict or a task output (`XComArg`). At run time instance `map_index` gets one
element of each input; with several inputs, the cross product, the last input varying fastest (Airflow).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.core.mapping import MAX_MAP_LENGTH, input_indexes
from chalicelib.core.spec import MapInput
from chalicelib.sdk.exceptions import AirflowException, DagDefinitionError, UnsupportedFeature
from chalicelib.sdk.xcom_arg import RETURN_VALUE, ResolvableArg, XComArg, iter_xcom_args, resolve_args


def max_map_length() -> int:
    """Airflow's [core] max_map_length, settable the Airflow way (AIRFLOW__CORE__MAX_MAP_LENGTH)."""
    value = os.environ.get("AIRFLOW__CORE__MAX_MAP_LENGTH", "")
    return int(value) if value.isdecimal() else MAX_MAP_LENGTH


class UnmappableXComTypePushed(AirflowException):
    def __init__(self, value: Any):
        super().__init__(f"unmappable return type {type(value).__qualname__!r}: a mapped task needs a list or a dict")


class XComForMappingNotPushed(AirflowException):
    def __str__(self) -> str:
        return "did not push XCom for task mapping"


class UnmappableXComLengthPushed(AirflowException):
    def __init__(self, value: Any, limit: int):
        super().__init__(f"unmappable return value length: {len(value)} > {limit}")


def _is_mappable(value: Any) -> bool:
    return isinstance(value, (Sequence, Mapping)) and not isinstance(value, (str, bytes, bytearray))


def _check_source(where: str, name: str, value: Any) -> None:
    if isinstance(value, XComArg):
        if value.key != RETURN_VALUE:
            raise UnsupportedFeature(f"{where}: mapping over the XCom key {value.key!r} of task "
                                     f"{value.operator.task_id!r} is not supported; map over its return value")
        return
    if not _is_mappable(value):
        raise DagDefinitionError(f"{where}: cannot map over {name}={value!r}: expected a list, a dict or a task output")


class ExpandInput:
    """Base of the two kinds of input; `values_at` gives instance `map_index` its arguments."""

    def sources(self) -> list[Any]:
        raise NotImplementedError

    def map_inputs(self) -> tuple[MapInput, ...]:
        raise NotImplementedError

    def values_at(self, map_index: int, context: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def xcom_args(self) -> list[XComArg]:
        return [arg for source in self.sources() for arg in iter_xcom_args(source)]

    def producers(self) -> list[Any]:
        """Tasks whose output is mapped over (their return value must be a list/dict of bounded length)."""
        return [s.operator for s in self.sources() if isinstance(s, XComArg)]


def _map_input(name: str, value: Any) -> MapInput:
    if isinstance(value, XComArg):
        return MapInput(name, task_id=value.operator.task_id)
    return MapInput(name, length=len(value))


def _resolve_source(value: Any, context: dict[str, Any]) -> Any:
    resolved = value.resolve(context) if isinstance(value, XComArg) else value
    return [] if resolved is None else resolved


def _element(values: Any, index: int, context: dict[str, Any]) -> Any:
    if isinstance(values, Mapping):  # mapping over a dict gives (key, value) pairs, as in Airflow
        return list(values.items())[index]
    return resolve_args(values[index], context)  # a literal list may hold task outputs


class DictExpandInput(ExpandInput):
    def __init__(self, where: str, value: dict[str, Any]):
        if not value:
            raise DagDefinitionError(f"{where}: expand() needs at least one keyword argument to map over")
        for name, source in value.items():
            _check_source(where, name, source)
        self.value = dict(value)

    def sources(self) -> list[Any]:
        return list(self.value.values())

    def map_inputs(self) -> tuple[MapInput, ...]:
        return tuple(_map_input(name, source) for name, source in self.value.items())

    def values_at(self, map_index: int, context: dict[str, Any]) -> dict[str, Any]:
        resolved = {name: _resolve_source(source, context) for name, source in self.value.items()}
        indexes = input_indexes([len(v) for v in resolved.values()], map_index)
        return {name: _element(values, i, context) for (name, values), i in zip(resolved.items(), indexes)}


class ListExpandInput(ExpandInput):
    """`expand_kwargs`: a list of dicts (or a task output that is one); each dict is one instance's arguments."""

    def __init__(self, where: str, value: Any):
        _check_source(where, "expand_kwargs", value)
        if not isinstance(value, XComArg):
            for item in value:
                if not isinstance(item, (Mapping, XComArg)):
                    raise DagDefinitionError(f"{where}: expand_kwargs() needs a list of dicts, got an item {item!r}")
        self.value = value

    def sources(self) -> list[Any]:
        return [self.value]

    def map_inputs(self) -> tuple[MapInput, ...]:
        return (_map_input("", self.value),)

    def values_at(self, map_index: int, context: dict[str, Any]) -> dict[str, Any]:
        kwargs = resolve_args(_resolve_source(self.value, context)[map_index], context)
        if not isinstance(kwargs, Mapping):
            raise TypeError(f"expand_kwargs() element {map_index} is {type(kwargs).__name__}, expected a dict")
        return dict(kwargs)


class MappedArgument(ResolvableArg):
    """An argument of a mapped task group's function: at run time, this instance's element of the input."""

    def __init__(self, expand_input: ExpandInput, name: str):
        self.expand_input = expand_input
        self.name = name

    def resolve(self, context: dict[str, Any]) -> Any:
        values = self.expand_input.values_at(context["ti"].map_index, context)
        return values if self.name == "" else values[self.name]

    def xcom_args(self) -> list[XComArg]:
        return self.expand_input.xcom_args()

    def __repr__(self) -> str:
        return f"MappedArgument({self.name!r})"
