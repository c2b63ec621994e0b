"""`DAG` and `@dag`: the container DAG files build, with Airflow's constructor arguments."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from chalicelib.sdk.deprecation import unsupported_argument
from chalicelib.sdk.exceptions import DagDefinitionError, DuplicateTaskIdFound
from chalicelib.sdk.params import ParamsDict
from chalicelib.sdk.timeutil import as_aware, timezone_name, to_seconds

if TYPE_CHECKING:
    from chalicelib.sdk.baseoperator import BaseOperator

_UNSET: Any = object()

# Arguments Airflow accepts that change nothing Levante does (UI hints, access control, e-mail).
_ACCEPTED_NO_EFFECT = {
    "owner_links", "access_control", "dag_display_name", "auto_register",
    "sla_miss_callback", "deadline", "on_skipped_callback", "dag_display_property_value",
}


class DAG:
    """A workflow: tasks, their dependencies and how often it runs (Airflow 3 semantics and defaults)."""

    def __init__(
        self,
        dag_id: str,
        description: str | None = None,
        schedule: Any = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        default_args: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        max_active_tasks: int = 16,
        max_active_runs: int = 16,
        dagrun_timeout: timedelta | None = None,
        catchup: bool = False,
        on_success_callback: Callable | list[Callable] | None = None,
        on_failure_callback: Callable | list[Callable] | None = None,
        doc_md: str | None = None,
        tags: Iterable[str] | None = None,
        template_searchpath: str | Iterable[str] | None = None,
        template_undefined: Any = None,
        user_defined_macros: dict[str, Any] | None = None,
        user_defined_filters: dict[str, Callable] | None = None,
        render_template_as_native_obj: bool = False,
        jinja_environment_kwargs: dict[str, Any] | None = None,
        owner: str | None = None,
        timezone: Any = None,
        max_consecutive_failed_dag_runs: int = 0,
        fail_fast: bool = False,
        fail_stop: bool = False,
        is_paused_upon_creation: bool | None = None,
        schedule_interval: Any = _UNSET,
        concurrency: int | None = None,
        **ignored: Any,
    ):
        unknown = set(ignored) - _ACCEPTED_NO_EFFECT
        if unknown:
            raise unsupported_argument("DAG", repr(dag_id), sorted(unknown))
        self.fail_fast = bool(fail_fast or fail_stop)  # fail_stop: its Airflow 2.7-2.10 name
        # Paused or not when first stored (None: the installation's default); ignored once the DAG exists.
        self.is_paused_upon_creation = None if is_paused_upon_creation is None else bool(is_paused_upon_creation)
        self.max_consecutive_failed_dag_runs = int(max_consecutive_failed_dag_runs or 0)
        _check_id(dag_id, "dag_id")
        if schedule_interval is not _UNSET:  # Airflow 2 spelling, still common in existing files
            if schedule is not None:
                raise DagDefinitionError(f"DAG {dag_id!r}: give schedule or schedule_interval, not both")
            schedule = schedule_interval
        self.dag_id = dag_id
        self.description = description
        self.default_args = dict(default_args or {})
        start_date = start_date or self.default_args.get("start_date")
        self.start_date = as_aware(start_date) if start_date else None
        end_date = end_date or self.default_args.get("end_date")
        self.end_date = as_aware(end_date) if end_date else None
        self.timezone = timezone_name(timezone or start_date)
        self.schedule = schedule
        self.params = ParamsDict(self.default_args.get("params")).merged(params)
        self.max_active_tasks = concurrency if concurrency is not None else max_active_tasks
        self.max_active_runs = max_active_runs
        self.dagrun_timeout = to_seconds(dagrun_timeout)
        self.catchup = bool(catchup)
        self.on_success_callback = on_success_callback
        self.on_failure_callback = on_failure_callback
        self.doc_md = doc_md
        self.tags = list(tags or [])
        if isinstance(template_searchpath, str):
            template_searchpath = [template_searchpath]
        self.template_searchpath = list(template_searchpath or [])
        self.template_undefined = template_undefined
        self.user_defined_macros = user_defined_macros or {}
        self.user_defined_filters = user_defined_filters or {}
        self.render_template_as_native_obj = render_template_as_native_obj
        self.jinja_environment_kwargs = jinja_environment_kwargs or {}
        self.owner_override = owner
        self.task_dict: dict[str, BaseOperator] = {}
        self.edge_info: dict[tuple[str, str], dict[str, Any]] = {}  # (upstream, downstream) -> {"label": ...}
        self.fileloc, self.lineno = _caller_location()
        self._entered = False
        _note_created(self)
        from chalicelib.sdk.task_group import TaskGroup

        self.task_group = TaskGroup.root(self)
        self._validate_schedule()

    def _validate_schedule(self) -> None:
        from chalicelib.core.schedule import ScheduleError, parse_schedule
        from chalicelib.sdk.assets import AssetOrTimeSchedule, asset_schedule

        # Scheduled on assets: no time schedule; the scheduler starts a run when the condition is met.
        self.asset_condition = asset_schedule(self.schedule)
        try:
            schedule = None if self.asset_condition is not None else self.schedule
            if isinstance(self.schedule, AssetOrTimeSchedule):
                schedule = self.schedule.timetable
            self.parsed_schedule = parse_schedule(schedule, timezone=self.timezone)
        except ScheduleError as exc:
            raise DagDefinitionError(f"DAG {self.dag_id!r}: {exc}") from None

    # --- context manager: tasks created inside belong to this DAG --------------------------------
    def __enter__(self) -> DAG:
        self._entered = True  # Airflow 3 auto-registers DAGs used as context managers
        DagContext.push(self)
        return self

    def __exit__(self, *exc: object) -> None:
        DagContext.pop()

    # --- tasks ---------------------------------------------------------------------------------------
    def add_task(self, task: BaseOperator) -> None:
        if task.task_id in self.task_dict and self.task_dict[task.task_id] is not task:
            raise DuplicateTaskIdFound(f"Task id {task.task_id!r} has already been added to the DAG {self.dag_id!r}")
        self.task_dict[task.task_id] = task

    @property
    def tasks(self) -> list[BaseOperator]:
        return list(self.task_dict.values())

    @property
    def task_ids(self) -> list[str]:
        return list(self.task_dict)

    def get_task(self, task_id: str) -> BaseOperator:
        try:
            return self.task_dict[task_id]
        except KeyError:
            raise KeyError(f"task {task_id!r} not found in DAG {self.dag_id!r}") from None

    def has_task(self, task_id: str) -> bool:
        return task_id in self.task_dict

    def get_edge_info(self, upstream_task_id: str, downstream_task_id: str) -> dict[str, Any]:
        return self.edge_info.get((upstream_task_id, downstream_task_id), {})

    def set_edge_info(self, upstream_task_id: str, downstream_task_id: str, info: dict[str, Any]) -> None:
        self.edge_info[(upstream_task_id, downstream_task_id)] = dict(info)

    @property
    def roots(self) -> list[BaseOperator]:
        return [t for t in self.tasks if not t.upstream_task_ids]

    @property
    def leaves(self) -> list[BaseOperator]:
        return [t for t in self.tasks if not t.downstream_task_ids]

    @property
    def owner(self) -> str:
        if self.owner_override:
            return self.owner_override
        owners = sorted({t.owner for t in self.tasks})
        return ", ".join(owners) if owners else self.default_args.get("owner", "airflow")

    @property
    def folder(self) -> str:
        import os

        return os.path.dirname(self.fileloc)

    # The in-process runner registers itself here when imported: the SDK is what DAG files build and
    # must not depend on the code that runs them (the layer contracts in .importlinter).
    test_runner: ClassVar[Callable[..., Any] | None] = None

    def test(self, **kwargs: Any) -> Any:
        """`dag.test()` as Airflow offers it: run the whole DAG in this process."""
        if DAG.test_runner is None:
            raise RuntimeError("dag.test() needs Levante's runner: run `levante dags test DAG_ID` instead")
        return DAG.test_runner(self, **kwargs)

    def __repr__(self) -> str:
        return f"<DAG: {self.dag_id}>"


class DagContext:
    """The stack of DAGs being defined (`with DAG(...)` blocks and `@dag` functions)."""

    _stack: list[DAG] = []

    @classmethod
    def push(cls, dag: DAG) -> None:
        cls._stack.append(dag)

    @classmethod
    def pop(cls) -> DAG | None:
        return cls._stack.pop() if cls._stack else None

    @classmethod
    def current(cls) -> DAG | None:
        return cls._stack[-1] if cls._stack else None


def dag(dag_id: str | Callable | None = None, **dag_kwargs: Any) -> Callable:
    """`@dag` / `@dag(...)`: calling the decorated function builds the DAG; its name is the default dag_id.

    Arguments of the function become params with the function's defaults, as in Airflow.
    """

    def decorator(func: Callable) -> Callable[..., DAG]:
        @functools.wraps(func)
        def factory(*args: Any, **kwargs: Any) -> DAG:
            signature = inspect.signature(func)
            bound = signature.bind_partial(*args, **kwargs)
            bound.apply_defaults()
            params = dict(dag_kwargs.get("params") or {})
            for name, value in bound.arguments.items():
                if name not in params and signature.parameters[name].kind not in (
                    inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD
                ):
                    params[name] = value
            options = {**dag_kwargs, "params": params}
            options.setdefault("doc_md", func.__doc__)
            the_dag = DAG(dag_id if isinstance(dag_id, str) else func.__name__, **options)
            the_dag.fileloc = inspect.getfile(func)
            the_dag.lineno = func.__code__.co_firstlineno
            with the_dag:
                from chalicelib.sdk.xcom_arg import DagParamArg

                func(**{name: DagParamArg(the_dag, name) for name in bound.arguments})
            return the_dag

        return factory

    if callable(dag_id):
        func, dag_id = dag_id, None
        return decorator(func)
    return decorator


def _caller_location() -> tuple[str, int]:
    """File and line defining this DAG: the first frame outside this SDK."""
    frame = sys._getframe(1)
    sdk_dir = __file__.rsplit("/", 1)[0]
    while frame is not None and frame.f_code.co_filename.startswith(sdk_dir):
        frame = frame.f_back
    return (frame.f_code.co_filename, frame.f_lineno) if frame else ("<unknown>", 0)


# The loader collects every DAG a file creates while it imports that file.
_created: list[DAG] | None = None


def _note_created(dag: DAG) -> None:
    if _created is not None:
        _created.append(dag)


class collect_created_dags:  # noqa: N801 - used as a context manager
    def __enter__(self) -> list[DAG]:
        global _created
        self._previous = _created
        _created = []
        return _created

    def __exit__(self, *exc: object) -> None:
        global _created
        _created = self._previous


_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def _check_id(value: Any, what: str) -> None:
    if not isinstance(value, str) or not value or len(value) > 250 or not set(value) <= _ID_CHARS:
        raise DagDefinitionError(
            f"{what} {value!r} is invalid: use 1-250 letters, digits, dashes, dots and underscores"
        )
