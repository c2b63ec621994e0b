"""`>>`, `<<`, `chain` and `cross_downstream` over tasks, task outputs, task groups and lists of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DependencyMixin:
    """Anything that can sit on either side of `>>`: knows its entry and exit tasks."""

    def _roots(self) -> list[Any]:  # tasks a dependency *into* this lands on
        raise NotImplementedError

    def _leaves(self) -> list[Any]:  # tasks a dependency *out of* this starts from
        raise NotImplementedError

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        if edge_modifier is not None:  # a.set_downstream(b, edge_modifier=Label("x"))
            edge_modifier.set_upstream(self)
            edge_modifier.set_downstream(other)
            return
        for target in _flatten(other):
            if not target._roots() and hasattr(target, "label"):  # a >> Label(...): the label joins later
                target.set_upstream(self)
                continue
            for leaf in self._leaves():
                for root in target._roots():
                    leaf._add_edge_to(root)

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        if edge_modifier is not None:
            edge_modifier.set_upstream(other)
            edge_modifier.set_downstream(self)
            return
        for source in _flatten(other):
            source.set_downstream(self)

    def __rshift__(self, other: Any) -> Any:
        self.set_downstream(other)
        return other

    def __lshift__(self, other: Any) -> Any:
        self.set_upstream(other)
        return other

    def __rrshift__(self, other: Any) -> Any:  # [a, b] >> self
        self.set_upstream(other)
        return self

    def __rlshift__(self, other: Any) -> Any:  # [a, b] << self
        self.set_downstream(other)
        return self


def _flatten(value: Any) -> list[DependencyMixin]:
    if isinstance(value, DependencyMixin):
        return [value]
    if isinstance(value, (list, tuple, set, frozenset)):
        items: list[DependencyMixin] = []
        for item in value:
            items.extend(_flatten(item))
        return items
    raise TypeError(f"cannot set a dependency on {type(value).__name__}: {value!r}")


def chain(*elements: Any) -> None:
    """a >> b >> c, where adjacent lists of equal length pair up element by element."""
    for up, down in zip(elements, elements[1:]):
        up_is_list = isinstance(up, Sequence) and not isinstance(up, str)
        down_is_list = isinstance(down, Sequence) and not isinstance(down, str)
        if up_is_list and down_is_list:
            if len(up) != len(down):
                raise ValueError(
                    f"chain() needs lists of the same length next to each other, got {len(up)} and {len(down)}"
                )
            for a, b in zip(up, down):
                _flatten(a)[0].set_downstream(b)
        elif up_is_list:
            for a in up:
                _flatten(a)[0].set_downstream(down)
        else:
            _flatten(up)[0].set_downstream(down)


def cross_downstream(from_tasks: Sequence[Any], to_tasks: Any) -> None:
    """Every task of `from_tasks` upstream of every task of `to_tasks`."""
    for task in from_tasks:
        _flatten(task)[0].set_downstream(to_tasks)
