"""Task groups: `TaskGroup(...)` blocks and `@task_group` functions; task ids are prefixed `group.task`."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.sdk.dag import DagContext, _check_id
from chalicelib.sdk.dependencies import DependencyMixin
from chalicelib.sdk.exceptions import DagDefinitionError, DuplicateTaskIdFound

if TYPE_CHECKING:
    from chalicelib.sdk.baseoperator import BaseOperator
    from chalicelib.sdk.dag import DAG


class TaskGroup(DependencyMixin):
    def __init__(
        self,
        group_id: str | None,
        prefix_group_id: bool = True,
        parent_group: TaskGroup | None = None,
        dag: DAG | None = None,
        default_args: dict[str, Any] | None = None,
        tooltip: str = "",
        ui_color: str = "CornflowerBlue",
        ui_fgcolor: str = "#000",
        add_suffix_on_collision: bool = False,
        group_display_name: str | None = None,
    ):
        self.dag = dag or (parent_group.dag if parent_group else DagContext.current())
        self.prefix_group_id = prefix_group_id
        self.default_args = dict(default_args or {})
        self.tooltip = tooltip
        self.children: dict[str, TaskGroup | BaseOperator] = {}
        self.expand_input: Any = None  # set on a mapped task group (`@task_group` function `.expand(...)`)
        self._group_id = group_id
        if group_id is None:  # the DAG's root group
            self.parent_group = None
            return
        if self.dag is None:
            raise DagDefinitionError(f"TaskGroup {group_id!r} must be created inside a DAG")
        _check_id(group_id, "group_id")
        self.parent_group = parent_group or TaskGroupContext.current(self.dag)
        taken = set(self.dag.task_dict) | self.dag.task_group.all_group_ids()
        if self.group_id in taken:
            if not add_suffix_on_collision:
                raise DuplicateTaskIdFound(f"group_id {self.group_id!r} has already been added to the DAG")
            base, n = group_id, 1
            while self.group_id in taken:
                self._group_id = f"{base}__{n}"
                n += 1
        self.parent_group.children[self.group_id] = self

    @classmethod
    def root(cls, dag: DAG) -> TaskGroup:
        return cls(None, dag=dag)

    @property
    def group_id(self) -> str | None:
        parent = self.parent_group
        if parent is not None and parent.prefix_group_id and parent._group_id:
            return parent.child_id(self._group_id)
        return self._group_id

    @property
    def is_root(self) -> bool:
        return self._group_id is None

    def child_id(self, label: str) -> str:
        if self.prefix_group_id and self.group_id:
            return f"{self.group_id}.{label}"
        return label

    def add(self, task: BaseOperator) -> None:
        self.children[task.task_id] = task

    def merged_default_args(self) -> dict[str, Any]:
        inherited = self.parent_group.merged_default_args() if self.parent_group else {}
        return {**inherited, **self.default_args}

    def all_group_ids(self) -> set[str]:
        ids: set[str] = set()
        for child in self.children.values():
            if isinstance(child, TaskGroup):
                ids.add(child.group_id)
                ids |= child.all_group_ids()
        return ids

    def iter_tasks(self) -> list[BaseOperator]:
        tasks: list[BaseOperator] = []
        for child in self.children.values():
            tasks.extend(child.iter_tasks() if isinstance(child, TaskGroup) else [child])
        return tasks

    def _roots(self) -> list[BaseOperator]:
        tasks = self.iter_tasks()
        ids = {t.task_id for t in tasks}
        return [t for t in tasks if not (t.upstream_task_ids & ids)]

    def _leaves(self) -> list[BaseOperator]:
        tasks = self.iter_tasks()
        ids = {t.task_id for t in tasks}
        return [t for t in tasks if not (t.downstream_task_ids & ids)]

    def __enter__(self) -> TaskGroup:
        TaskGroupContext.push(self)
        return self

    def __exit__(self, *exc: object) -> None:
        TaskGroupContext.pop()

    def __repr__(self) -> str:
        return f"<TaskGroup: {self.group_id}>"


class TaskGroupContext:
    _stack: list[TaskGroup] = []

    @classmethod
    def push(cls, group: TaskGroup) -> None:
        cls._stack.append(group)

    @classmethod
    def pop(cls) -> None:
        if cls._stack:
            cls._stack.pop()

    @classmethod
    def current(cls, dag: DAG) -> TaskGroup:
        for group in reversed(cls._stack):
            if group.dag is dag:
                return group
        return dag.task_group


def task_group(group_id: str | Callable | None = None, **group_kwargs: Any) -> Callable:
    """`@task_group`: calling the function creates a group (named after it) holding the tasks it makes.

    Returns what the function returns when that is a task or output (so `a >> group_fn() >> b` binds to
    it), else the group itself, as Airflow does.
    """

    def decorator(func: Callable) -> Callable:
        def build(args: tuple, kwargs: dict[str, Any], expand_input: Any = None) -> Any:
            name = group_id if isinstance(group_id, str) else func.__name__
            options = {"add_suffix_on_collision": True, **group_kwargs}
            with TaskGroup(name, **options) as group:
                if func.__doc__ and not group.tooltip:
                    group.tooltip = func.__doc__.strip()
                if expand_input is not None:
                    group.expand_input = expand_input
                    for producer in expand_input.producers():
                        producer._feeds_mapping = True
                    kwargs = {**kwargs, **_mapped_arguments(func, expand_input, kwargs)}
                result = func(*args, **kwargs)
            return group if result is None else result

        @functools.wraps(func)
        def factory(*args: Any, **kwargs: Any) -> Any:
            return build(args, kwargs)

        factory.partial = lambda **fixed: _GroupPartial(func, build, fixed)  # type: ignore[attr-defined]
        factory.expand = lambda **mapped: _GroupPartial(func, build, {}).expand(**mapped)  # type: ignore[attr-defined]
        factory.expand_kwargs = lambda value: _GroupPartial(func, build, {}).expand_kwargs(value)  # type: ignore[attr-defined]
        return factory

    if callable(group_id):
        func, group_id = group_id, None
        return decorator(func)
    return decorator


class _GroupPartial:
    """A mapped task group: the function runs once, its mapped arguments are placeholders that each instance
    of each task inside resolves to its own element (`MappedArgument`)."""

    def __init__(self, func: Callable, build: Callable, fixed: dict[str, Any]):
        self.func, self.build, self.fixed = func, build, fixed

    def expand(self, **mapped: Any) -> Any:
        from chalicelib.sdk.expand_input import DictExpandInput

        where = f"task group {self.func.__name__!r}.expand"
        unknown = sorted(set(mapped) - set(inspect.signature(self.func).parameters))
        if unknown:
            raise DagDefinitionError(f"{where}: {self.func.__name__}() has no argument(s) {', '.join(unknown)}")
        return self.build((), dict(self.fixed), DictExpandInput(where, mapped))

    def expand_kwargs(self, value: Any) -> Any:
        from chalicelib.sdk.expand_input import ListExpandInput

        return self.build((), dict(self.fixed), ListExpandInput(f"task group {self.func.__name__!r}.expand_kwargs", value))


def _mapped_arguments(func: Callable, expand_input: Any, fixed: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.sdk.expand_input import DictExpandInput, MappedArgument

    if isinstance(expand_input, DictExpandInput):
        names = list(expand_input.value)
    else:
        names = [n for n, p in inspect.signature(func).parameters.items()
                 if n not in fixed and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return {name: MappedArgument(expand_input, name) for name in names}
