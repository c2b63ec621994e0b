"""TaskFlow: `@task` and its flavours (`.branch`, `.short_circuit`, `.sensor`, `.bash`).

Calling a decorated function inside a DAG creates a task and returns its output (`XComArg`). Outputs of
other tasks passed as arguments become upstream dependencies and are replaced by their values at run time.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any

from chalicelib.sdk.dag import DagContext
from chalicelib.sdk.exceptions import DagDefinitionError, UnsupportedFeature
from chalicelib.sdk.operators.bash import BashOperator
from chalicelib.sdk.operators.python import BranchMixIn, PythonOperator, ShortCircuitOperator, callable_kwargs
from chalicelib.sdk.sensors.python import PythonSensor
from chalicelib.sdk.task_group import TaskGroupContext
from chalicelib.sdk.xcom_arg import XComArg


class _PythonDecoratedOperator(PythonOperator):
    custom_operator_name = "@task"


class _BranchPythonDecoratedOperator(BranchMixIn, PythonOperator):
    custom_operator_name = "@task.branch"

    def execute(self, context: dict[str, Any]) -> Any:
        return self.do_branch(context, super().execute(context))


class _ShortCircuitDecoratedOperator(ShortCircuitOperator):
    custom_operator_name = "@task.short_circuit"


class _DecoratedSensorOperator(PythonSensor):
    custom_operator_name = "@task.sensor"


class _BashDecoratedOperator(BashOperator):
    """The function returns the command; it is rendered as a template, then run like BashOperator."""

    custom_operator_name = "@task.bash"
    template_fields = ("bash_command", "env", "cwd", "op_args", "op_kwargs")

    def __init__(self, *, python_callable: Callable, op_args: tuple = (), op_kwargs: dict | None = None,
                 **kwargs: Any):
        super().__init__(bash_command="", **kwargs)
        self.python_callable = python_callable
        self.op_args = tuple(op_args)
        self.op_kwargs = dict(op_kwargs or {})

    def execute(self, context: dict[str, Any]) -> Any:
        kwargs = callable_kwargs(self.python_callable, self.op_args, context, self.op_kwargs)
        command = self.python_callable(*self.op_args, **kwargs)
        if not isinstance(command, str) or not command.strip():
            raise TypeError("The returned value from the TaskFlow callable must be a non-empty string.")
        self.bash_command = self.render_template(command, context)
        return super().execute(context)


class _TaskDecorator:
    def __init__(self, func: Callable, operator_class: type, kwargs: dict[str, Any]):
        if not callable(func):
            raise DagDefinitionError(f"@task must decorate a function, got {func!r}")
        self.function = func
        self.operator_class = operator_class
        self.kwargs = kwargs
        functools.update_wrapper(self, func)

    def __call__(self, *args: Any, **kwargs: Any) -> XComArg:
        options = self._options()
        operator = self.operator_class(
            python_callable=self.function, op_args=args, op_kwargs=kwargs, **options
        )
        if operator.doc_md is None and self.function.__doc__:
            operator.doc_md = inspect.cleandoc(self.function.__doc__)
        return XComArg(operator)

    def _options(self) -> dict[str, Any]:
        options = dict(self.kwargs)
        dag = options.get("dag") or DagContext.current()
        if dag is None:
            raise DagDefinitionError(f"task {self.function.__name__!r} was called outside a DAG")
        options["task_id"] = _unique_task_id(options.pop("task_id", None) or self.function.__name__, dag)
        if "multiple_outputs" not in options and self.operator_class is _PythonDecoratedOperator:
            options["multiple_outputs"] = _returns_dict(self.function)
        return options

    def override(self, **kwargs: Any) -> _TaskDecorator:
        return _TaskDecorator(self.function, self.operator_class, {**self.kwargs, **kwargs})

    # --- dynamic task mapping: f.expand(x=[...]), f.partial(y=1).expand(x=...), f.expand_kwargs([...]) ---
    def partial(self, **kwargs: Any) -> _PartialTask:
        return _PartialTask(self, kwargs)

    def expand(self, **mapped: Any) -> XComArg:
        return _PartialTask(self, {}).expand(**mapped)

    def expand_kwargs(self, kwargs: Any) -> XComArg:
        return _PartialTask(self, {}).expand_kwargs(kwargs)


class _PartialTask:
    def __init__(self, decorator: _TaskDecorator, fixed: dict[str, Any]):
        self.decorator = decorator
        self.fixed = fixed

    def expand(self, **mapped: Any) -> XComArg:
        from chalicelib.sdk.expand_input import DictExpandInput

        where = f"{self.decorator.function.__name__}.expand"
        params = inspect.signature(self.decorator.function).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
        unknown = sorted(n for n in mapped if n not in params and not takes_any)
        if unknown:
            raise DagDefinitionError(f"{where}: {self.decorator.function.__name__}() has no argument(s) {', '.join(unknown)}")
        return self._mapped(DictExpandInput(where, mapped))

    def expand_kwargs(self, kwargs: Any) -> XComArg:
        from chalicelib.sdk.expand_input import ListExpandInput

        return self._mapped(ListExpandInput(f"{self.decorator.function.__name__}.expand_kwargs", kwargs))

    def _mapped(self, expand_input: Any) -> XComArg:
        from chalicelib.sdk.mappedoperator import MappedOperator

        options = self.decorator._options()
        options.update(python_callable=self.decorator.function, op_args=(), op_kwargs=dict(self.fixed))
        operator = MappedOperator(self.decorator.operator_class, options, expand_input, "op_kwargs")
        if operator.doc_md is None and self.decorator.function.__doc__:
            operator.doc_md = inspect.cleandoc(self.decorator.function.__doc__)
        return XComArg(operator)


def _unique_task_id(task_id: str, dag: Any) -> str:
    """Calling one @task twice gives `name`, `name__1`, `name__2`, as in Airflow."""
    group = TaskGroupContext.current(dag)
    if group.child_id(task_id) not in dag.task_dict:
        return task_id
    core = re.split(r"__\d+$", task_id)[0]
    pattern = re.compile(rf"^{re.escape(group.child_id(core))}__(\d+)$")
    taken = [int(m.group(1)) for tid in dag.task_dict if (m := pattern.match(tid))]
    return f"{core}__{max(taken, default=0) + 1}"


def _returns_dict(func: Callable) -> bool:
    annotation = inspect.signature(func).return_annotation
    if annotation is inspect.Signature.empty:
        return False
    if isinstance(annotation, str):
        return bool(re.match(r"^(typing\.)?(dict|Dict|Mapping)\b", annotation.strip()))
    origin = getattr(annotation, "__origin__", annotation)
    return origin is dict or getattr(origin, "__name__", "") in ("Dict", "Mapping")


def _flavour(operator_class: type) -> Callable:
    def decorator(python_callable: Callable | None = None, **kwargs: Any) -> Any:
        if python_callable is not None and callable(python_callable) and not kwargs:
            return _TaskDecorator(python_callable, operator_class, {})
        return lambda func: _TaskDecorator(func, operator_class, kwargs)

    return decorator


class UnsupportedTaskFlavour(UnsupportedFeature, ImportError):
    """`@task.virtualenv` and kin: they need a separate interpreter, image or cluster Levante does not run."""


_FLAVOUR_REASONS = {
    "virtualenv": "tasks run in the worker's own Python; use @task and add the packages to the worker's requirements",
    "external_python": "tasks run in the worker's own Python; use @task",
    "branch_virtualenv": "tasks run in the worker's own Python; use @task.branch",
    "branch_external_python": "tasks run in the worker's own Python; use @task.branch",
    "docker": "Levante runs no containers; use @task (or a Lambda through LambdaInvokeFunctionOperator)",
    "kubernetes": "Levante runs no Kubernetes pods; use @task (or a Lambda through LambdaInvokeFunctionOperator)",
    "kubernetes_cmd": "Levante runs no Kubernetes pods; use @task.bash",
}


def _unsupported_flavour(name: str) -> Callable:
    def decorator(*args: Any, **kwargs: Any) -> Any:
        reason = _FLAVOUR_REASONS.get(name, "it is not one of @task, .branch, .short_circuit, .sensor, .bash")
        raise UnsupportedTaskFlavour(f"@task.{name} is not supported by Levante: {reason}")

    return decorator


class _TaskNamespace:
    """`task` itself: `@task`, `@task(...)`, and `@task.<flavour>`."""

    python = staticmethod(_flavour(_PythonDecoratedOperator))
    branch = staticmethod(_flavour(_BranchPythonDecoratedOperator))
    short_circuit = staticmethod(_flavour(_ShortCircuitDecoratedOperator))
    sensor = staticmethod(_flavour(_DecoratedSensorOperator))
    bash = staticmethod(_flavour(_BashDecoratedOperator))

    def __call__(self, python_callable: Callable | None = None, **kwargs: Any) -> Any:
        return self.python(python_callable, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _unsupported_flavour(name)


task = _TaskNamespace()


class _SetupTeardownDecorator(_TaskDecorator):
    """`@setup` / `@teardown`: a @task whose every call is marked as a setup (or teardown) task."""

    def __init__(self, func: Callable, kwargs: dict[str, Any], *, teardown: bool, fail_dagrun: bool = False):
        super().__init__(func, _PythonDecoratedOperator, kwargs)
        self.teardown = teardown
        self.fail_dagrun = fail_dagrun

    def __call__(self, *args: Any, **kwargs: Any) -> XComArg:
        output = super().__call__(*args, **kwargs)
        if self.teardown:
            output.operator.as_teardown(on_failure_fail_dagrun=self.fail_dagrun)
        else:
            output.operator.as_setup()
        return output

    def override(self, **kwargs: Any) -> _SetupTeardownDecorator:
        return _SetupTeardownDecorator(self.function, {**self.kwargs, **kwargs}, teardown=self.teardown,
                                       fail_dagrun=self.fail_dagrun)


def setup(func: Callable) -> _SetupTeardownDecorator:
    return _SetupTeardownDecorator(func, {}, teardown=False)


def teardown(_func: Callable | None = None, *, on_failure_fail_dagrun: bool = False) -> Any:
    def decorate(func: Callable) -> _SetupTeardownDecorator:
        return _SetupTeardownDecorator(func, {}, teardown=True, fail_dagrun=on_failure_fail_dagrun)

    return decorate(_func) if _func is not None else decorate
