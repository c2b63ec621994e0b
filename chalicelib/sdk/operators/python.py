"""PythonOperator and its branching and short-circuiting kin."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.deprecation import warn_legacy
from chalicelib.sdk.exceptions import AirflowException, UnsupportedFeature

log = logging.getLogger("airflow.task")


def callable_kwargs(func: Callable, op_args: tuple, context: Mapping[str, Any],
                    op_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments Airflow would pass: op_kwargs over the context, filtered by the signature.

    A callable with `**kwargs` gets the whole context; otherwise only the names it declares and that its
    positional `op_args` did not already fill.
    """
    merged = {**context, **op_kwargs}
    signature = inspect.signature(func)
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        return merged
    positional = [
        name for name, p in signature.parameters.items() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ][: len(op_args)]
    return {k: v for k, v in merged.items() if k in signature.parameters and k not in positional}


class PythonOperator(BaseOperator):
    template_fields = ("templates_dict", "op_args", "op_kwargs")
    ui_color = "#ffefeb"

    def __init__(self, *, python_callable: Callable, op_args: Iterable | None = None,
                 op_kwargs: Mapping[str, Any] | None = None, templates_dict: dict[str, Any] | None = None,
                 templates_exts: list[str] | None = None, show_return_value_in_logs: bool = True,
                 provide_context: bool | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if provide_context is not None:
            defaulted = self._from_default_args("provide_context")
            warn_legacy(f"provide_context{defaulted}", "remove it: the context is always passed to the callable",
                        argument="provide_context", from_default_args=bool(defaulted))
        if not callable(python_callable):
            raise AirflowException(f"task {self.task_id!r}: python_callable must be callable")
        self.python_callable = python_callable
        self.op_args = tuple(op_args or ())
        self.op_kwargs = dict(op_kwargs or {})
        self.templates_dict = templates_dict
        self.show_return_value_in_logs = show_return_value_in_logs

    def execute(self, context: dict[str, Any]) -> Any:
        extra = {"templates_dict": self.templates_dict} if self.templates_dict is not None else {}
        kwargs = callable_kwargs(self.python_callable, self.op_args, {**context, **extra}, self.op_kwargs)
        result = self.python_callable(*self.op_args, **kwargs)
        if self.show_return_value_in_logs:
            log.info("Done. Returned value was: %r", result)
        return result


class BranchMixIn:
    def do_branch(self, context: dict[str, Any], branches: Any) -> Any:
        self.skip_all_except(context["ti"], branches)
        return branches

    def skip_all_except(self, ti: Any, branch_task_ids: str | Iterable[str] | None) -> None:
        """Skip the direct downstream tasks that are not followed; a task-group id follows its roots."""
        task: BaseOperator = self  # type: ignore[assignment]
        dag = task.dag
        chosen = _as_id_set(branch_task_ids)
        groups = _group_index(dag)
        invalid = sorted(b for b in chosen if not dag.has_task(b) and b not in groups)
        if invalid:
            raise AirflowException(f"'branch_task_ids' must contain only valid task_ids. Invalid tasks found: {invalid}")
        followed: set[str] = set()
        for branch in chosen:
            if branch in groups:
                followed |= {t.task_id for t in groups[branch]._roots()}
            else:
                followed.add(branch)
        # Like Airflow: a direct downstream that is also downstream of a followed task (a join wired to the
        # branch itself) is followed too, not skipped.
        for branch in list(followed):
            followed |= dag.get_task(branch).get_flat_relative_ids(upstream=False)
        to_skip = {t for t in task.downstream_task_ids if t not in followed}
        log.info("Following branch %s; skipping %s", sorted(followed), sorted(to_skip))
        ti.skip_downstream(to_skip)


def _as_id_set(value: str | Iterable[str] | None) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    items = set()
    for item in value:
        if not isinstance(item, str):
            raise AirflowException(f"branch callable returned {item!r}; expected task ids (strings)")
        items.add(item)
    return items


def _group_index(dag: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    stack = [dag.task_group]
    while stack:
        group = stack.pop()
        for child in group.children.values():
            if hasattr(child, "children"):
                found[child.group_id] = child
                stack.append(child)
    return found


class BranchPythonOperator(BranchMixIn, PythonOperator):
    """Runs a callable returning the task id(s) to follow; the other direct downstream tasks are skipped."""

    ui_color = "#ffefeb"

    def execute(self, context: dict[str, Any]) -> Any:
        return self.do_branch(context, super().execute(context))


class ShortCircuitOperator(PythonOperator):
    """Continues when the callable returns a truthy value; otherwise skips downstream tasks.

    With `ignore_downstream_trigger_rules` (the default) every task downstream is skipped; without it only
    the direct downstream tasks are, and the rest follow their trigger rules.
    """

    def __init__(self, *, ignore_downstream_trigger_rules: bool = True, **kwargs: Any):
        super().__init__(**kwargs)
        self.ignore_downstream_trigger_rules = ignore_downstream_trigger_rules

    def execute(self, context: dict[str, Any]) -> Any:
        condition = super().execute(context)
        log.info("Condition result is %s", condition)
        if condition:
            log.info("Proceeding with downstream tasks...")
            return condition
        if self.ignore_downstream_trigger_rules:
            to_skip = self.get_flat_relative_ids(upstream=False)
        else:
            to_skip = set(self.downstream_task_ids)
        log.info("Skipping downstream tasks: %s", sorted(to_skip))
        context["ti"].skip_downstream(to_skip)
        return condition


def _unsupported(name: str) -> type:
    class Unsupported:
        def __init__(self, *args: Any, **kwargs: Any):
            raise UnsupportedFeature(f"{name} is not supported by Levante (tasks run in the worker's Python)")

    Unsupported.__name__ = name
    return Unsupported


PythonVirtualenvOperator = _unsupported("PythonVirtualenvOperator")
ExternalPythonOperator = _unsupported("ExternalPythonOperator")
BranchPythonVirtualenvOperator = _unsupported("BranchPythonVirtualenvOperator")
BranchExternalPythonOperator = _unsupported("BranchExternalPythonOperator")
