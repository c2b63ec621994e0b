"""Dynamic task mapping: `Operator.partial(...).expand(...)`, `.expand_kwargs(...)`, and mapped task groups.

A `MappedOperator` stands in the DAG for all instances of a mapped task: it has the task's place in the
graph and its task-level arguments (retries, trigger rule, ...). Each instance is a real operator built at run
time by `materialize` from the partial arguments plus that instance's elements of the expand input.
"""

from __future__ import annotations

import copy
from typing import Any

from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.dag import DagContext
from chalicelib.sdk.exceptions import DagDefinitionError, UnsupportedFeature
from chalicelib.sdk.expand_input import DictExpandInput, ExpandInput, ListExpandInput
from chalicelib.sdk.xcom_arg import XComArg, iter_xcom_args

_BASE_ARGS = BaseOperator._accepted_args()


class OperatorPartial:
    """`Operator.partial(task_id=..., **fixed)`: waits for `.expand(...)` or `.expand_kwargs(...)`."""

    def __init__(self, operator_class: type, kwargs: dict[str, Any]):
        if "task_id" not in kwargs:
            raise DagDefinitionError(f"{operator_class.__name__}.partial() needs a task_id")
        self.operator_class = operator_class
        self.kwargs = kwargs

    def expand(self, **mapped: Any) -> MappedOperator:
        where = f"{self.operator_class.__name__}(task_id={self.kwargs['task_id']!r}).expand"
        accepted = self.operator_class._accepted_args()
        unknown = sorted(set(mapped) - accepted)
        if unknown:
            raise DagDefinitionError(f"{where}: {self.operator_class.__name__} has no argument(s) {', '.join(unknown)}")
        both = sorted(set(mapped) & set(self.kwargs))
        if both:
            raise DagDefinitionError(f"{where}: argument(s) {', '.join(both)} given to both partial() and expand()")
        return MappedOperator(self.operator_class, self.kwargs, DictExpandInput(where, mapped))

    def expand_kwargs(self, kwargs: Any) -> MappedOperator:
        where = f"{self.operator_class.__name__}(task_id={self.kwargs['task_id']!r}).expand_kwargs"
        return MappedOperator(self.operator_class, self.kwargs, ListExpandInput(where, kwargs))


class MappedOperator(BaseOperator):
    """All instances of one mapped task. `kwarg_target` names the constructor argument the mapped values go
    into ("op_kwargs" for TaskFlow functions), or None when they are constructor arguments themselves."""

    def __init__(self, operator_class: type, partial_kwargs: dict[str, Any], expand_input: ExpandInput,
                 kwarg_target: str | None = None, **defaults: Any):
        dag = partial_kwargs.get("dag") or DagContext.current()
        if dag is not None and _in_mapped_group(dag):
            raise UnsupportedFeature("a mapped task inside a mapped task group is not supported by Levante")
        # `defaults` holds what default_args filled in (see _apply_defaults); partial() arguments win.
        base = {k: v for k, v in {**defaults, **partial_kwargs}.items() if k in _BASE_ARGS and k != "default_args"}
        BaseOperator.__init__(self, **base)
        self.operator_class = operator_class
        self.partial_kwargs = dict(partial_kwargs)
        self.expand_input = expand_input
        self.kwarg_target = kwarg_target
        self.custom_operator_name = getattr(operator_class, "custom_operator_name", None) or operator_class.__name__
        self.template_fields = tuple(operator_class.template_fields)
        self.ui_color = operator_class.ui_color
        self._default_args = _defaults(dag, self.task_group, partial_kwargs.get("default_args"))
        for arg in [*expand_input.xcom_args(), *iter_xcom_args(list(partial_kwargs.values()))]:
            arg.operator.set_downstream(self)
        for producer in expand_input.producers():
            producer._feeds_mapping = True

    def _link_xcom_args(self) -> None:
        """Dependencies come from the partial arguments and the expand input (linked in __init__)."""

    def materialize(self, map_index: int, context: dict[str, Any]) -> BaseOperator:
        """The real operator of instance `map_index`, outside the DAG's graph but knowing its place in it."""
        values = self.expand_input.values_at(map_index, context)
        kwargs = {k: v for k, v in self.partial_kwargs.items() if k not in ("dag", "task_group")}
        if self.kwarg_target is None:
            kwargs.update(values)
        else:
            kwargs[self.kwarg_target] = {**kwargs.get(self.kwarg_target, {}), **values}
        kwargs["task_id"] = self.task_id
        operator = self.operator_class(default_args=self._default_args, **kwargs)
        operator.dag = self.dag
        operator.task_group = self.task_group
        operator.upstream_task_ids = set(self.upstream_task_ids)
        operator.downstream_task_ids = set(self.downstream_task_ids)
        operator._feeds_mapping = self._feeds_mapping
        return operator

    @property
    def is_mapped(self) -> bool:
        return True

    def execute(self, context: dict[str, Any]) -> Any:
        raise RuntimeError(f"mapped task {self.task_id!r} runs through its instances (materialize)")

    def __repr__(self) -> str:
        return f"<Mapped({self.custom_operator_name}): {self.task_id}>"


def _defaults(dag: Any, group: Any, own: dict[str, Any] | None) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    if dag is not None:
        merged.update(dag.default_args)
    if group is not None:
        merged.update(group.merged_default_args())
    merged.update(own or {})
    return copy.copy(merged)


def _in_mapped_group(dag: Any) -> bool:
    from chalicelib.sdk.task_group import TaskGroupContext

    return mapped_group_of(TaskGroupContext.current(dag)) is not None


def mapped_group_of(group: Any) -> Any:
    """The innermost mapped task group containing `group` (or `group` itself), if any."""
    while group is not None:
        if getattr(group, "expand_input", None) is not None:
            return group
        group = group.parent_group
    return None


def is_mapped(task: Any) -> bool:
    return isinstance(task, MappedOperator) or mapped_group_of(task.task_group) is not None


__all__ = ["MappedOperator", "OperatorPartial", "XComArg", "is_mapped", "mapped_group_of"]
