"""PythonSensor: pokes a callable until it returns a truthy value (or a done PokeReturnValue)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from chalicelib.sdk.operators.python import callable_kwargs
from chalicelib.sdk.sensors.base import BaseSensorOperator, PokeReturnValue


class PythonSensor(BaseSensorOperator):
    template_fields = ("templates_dict", "op_args", "op_kwargs")

    def __init__(self, *, python_callable: Callable, op_args: Iterable | None = None,
                 op_kwargs: Mapping[str, Any] | None = None, templates_dict: dict[str, Any] | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.python_callable = python_callable
        self.op_args = tuple(op_args or ())
        self.op_kwargs = dict(op_kwargs or {})
        self.templates_dict = templates_dict

    def poke(self, context: dict[str, Any]) -> bool | PokeReturnValue:
        extra = {"templates_dict": self.templates_dict} if self.templates_dict is not None else {}
        kwargs = callable_kwargs(self.python_callable, self.op_args, {**context, **extra}, self.op_kwargs)
        result = self.python_callable(*self.op_args, **kwargs)
        return result if isinstance(result, PokeReturnValue) else PokeReturnValue(bool(result))
