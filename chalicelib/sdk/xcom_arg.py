"""A task's output as a value: passing it to another task creates the dependency and delivers the XCom."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from chalicelib.core.xcom import RETURN_VALUE
from chalicelib.sdk.dependencies import DependencyMixin
from chalicelib.sdk.exceptions import UnsupportedFeature

if TYPE_CHECKING:
    from chalicelib.sdk.baseoperator import BaseOperator
    from chalicelib.sdk.dag import DAG



class XComArg(DependencyMixin):
    def __init__(self, operator: BaseOperator, key: str = RETURN_VALUE):
        self.operator = operator
        self.key = key

    def __getitem__(self, key: str) -> XComArg:
        return XComArg(self.operator, key)

    def __iter__(self) -> Iterator[Any]:
        raise TypeError(
            f"the output of task {self.operator.task_id!r} is only known when the DAG runs; "
            "it cannot be iterated while the DAG is defined"
        )

    def _roots(self) -> list[BaseOperator]:
        return [self.operator]

    def _leaves(self) -> list[BaseOperator]:
        return [self.operator]

    def resolve(self, context: dict[str, Any]) -> Any:
        return context["ti"].xcom_pull(task_ids=self.operator.task_id, key=self.key)

    # Names DAG files use on outputs: the task itself and Airflow's mapping helpers.
    @property
    def task_id(self) -> str:
        return self.operator.task_id

    def map(self, function: Any) -> XComArg:
        """A lazy transform of each element (Airflow's `XComArg.map`); mapping over it maps over the source."""
        return _MapXComArg(self, (function,))

    def zip(self, *a: Any, **k: Any) -> Any:
        raise UnsupportedFeature("XComArg.zip() is not supported by Levante yet; map over one output")

    concat = zip

    def as_setup(self) -> XComArg:
        self.operator.as_setup()
        return self

    def __enter__(self) -> XComArg:
        self.operator.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.operator.__exit__(*exc)

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None) -> XComArg:
        self.operator.as_teardown(setups=setups, on_failure_fail_dagrun=on_failure_fail_dagrun)
        return self

    def __repr__(self) -> str:
        return f"XComArg({self.operator.task_id!r}, key={self.key!r})"


class _MapXComArg(XComArg):
    def __init__(self, source: XComArg, functions: tuple[Any, ...]):
        super().__init__(source.operator, source.key)
        self.source = source
        self.functions = functions

    def map(self, function: Any) -> XComArg:
        return _MapXComArg(self.source, (*self.functions, function))

    def resolve(self, context: dict[str, Any]) -> Any:
        values = self.source.resolve(context)
        items = list(values.items()) if isinstance(values, dict) else list(values or [])
        out = []
        for item in items:
            for function in self.functions:
                item = function(item)
            out.append(item)
        return out


class ResolvableArg:
    """A value known only at run time, replaced by `resolve(context)` before the task uses it."""

    def resolve(self, context: dict[str, Any]) -> Any:
        raise NotImplementedError

    def xcom_args(self) -> list[XComArg]:
        return []


class DagParamArg(ResolvableArg):
    """An argument of a `@dag` function: the value of the DAG param of that name at run time."""

    def __init__(self, dag: DAG, name: str):
        self.dag = dag
        self.name = name

    def resolve(self, context: dict[str, Any]) -> Any:
        return context["params"][self.name]

    def __repr__(self) -> str:
        return f"DagParam({self.name!r})"


def iter_xcom_args(value: Any, _depth: int = 0) -> Iterator[XComArg]:
    if _depth > 20:
        return
    if isinstance(value, XComArg):
        yield value
    elif isinstance(value, ResolvableArg):
        yield from value.xcom_args()
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from iter_xcom_args(item, _depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_xcom_args(item, _depth + 1)


def resolve_args(value: Any, context: dict[str, Any]) -> Any:
    """`value` with every task output and DAG param inside it replaced by its run-time value."""
    if isinstance(value, (XComArg, ResolvableArg)):
        return value.resolve(context)
    if isinstance(value, list):
        return [resolve_args(v, context) for v in value]
    if isinstance(value, tuple):
        return tuple(resolve_args(v, context) for v in value)
    if isinstance(value, dict):
        return {k: resolve_args(v, context) for k, v in value.items()}
    return value
