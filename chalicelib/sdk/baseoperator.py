"""`BaseOperator`: a task's arguments, `default_args`, its place in the graph and its templated fields."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from chalicelib.core.trigger_rules import TriggerRule
from chalicelib.sdk.dag import DAG, DagContext, _check_id
from chalicelib.sdk.dependencies import DependencyMixin, chain, cross_downstream
from chalicelib.sdk.deprecation import unsupported_argument, warn_legacy
from chalicelib.sdk.exceptions import DagDefinitionError
from chalicelib.sdk.params import ParamsDict
from chalicelib.sdk.timeutil import as_aware, to_seconds

__all__ = ["BaseOperator", "chain", "cross_downstream"]

# Accepted for compatibility; they change nothing in how Levante runs the task.
_ACCEPTED_NO_EFFECT = frozenset({
    "weight_rule", "pool_slots", "run_as_user",
    "executor_config", "resources", "inlets", "outlets", "task_display_name", "logger_name", "executor", "doc", "doc_json", "doc_yaml",
    "doc_rst", "ui_color", "ui_fgcolor", "allow_nested_operators", "sla", "map_index_template",
    "do_xcom_push_deprecated", "wait_for_past_depends_before_skipping",
    "on_skipped_callback",
})
_BEHAVIOUR_FLAGS_UNSUPPORTED: tuple[str, ...] = ()


def _init_params(cls: type) -> frozenset[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        init = getattr(init, "__wrapped__", init)
        for name, param in inspect.signature(init).parameters.items():
            if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
                names.add(name)
    return frozenset(names)


def _apply_defaults(init: Callable) -> Callable:
    """Fill an operator's constructor arguments from the DAG's, task group's and its own default_args.

    Like Airflow, only keys some class in the operator's MRO accepts are applied, so one default_args dict
    can serve operators with different signatures.
    """

    @functools.wraps(init)
    def wrapper(self: BaseOperator, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "_defaults_applied", False):
            return init(self, *args, **kwargs)
        self._defaults_applied = True
        dag = kwargs.get("dag") or DagContext.current()
        from chalicelib.sdk.task_group import TaskGroupContext

        group = kwargs.get("task_group") or (TaskGroupContext.current(dag) if dag else None)
        defaults: dict[str, Any] = {}
        if dag is not None:
            defaults.update(dag.default_args)
        if group is not None:
            defaults.update(group.merged_default_args())
        defaults.update(kwargs.pop("default_args", None) or {})
        accepted = type(self)._accepted_args()
        self._args_from_defaults = set()
        for key, value in defaults.items():
            if key not in kwargs and (key in accepted or (key in _BEHAVIOUR_FLAGS_UNSUPPORTED and value)) and key != "params":
                kwargs[key] = value
                self._args_from_defaults.add(key)
        kwargs["_default_params"] = defaults.get("params")
        init(self, *args, **kwargs)
        self._link_xcom_args()

    return wrapper


class BaseOperator(DependencyMixin):
    template_fields: ClassVar[tuple[str, ...]] = ()
    template_ext: ClassVar[tuple[str, ...]] = ()
    template_fields_renderers: ClassVar[dict[str, str]] = {}
    ui_color: ClassVar[str] = "#fff"
    is_sensor: ClassVar[bool] = False
    _feeds_mapping: bool = False  # a mapped task expands over this task's output (set by MappedOperator)
    _accepted_cache: ClassVar[frozenset[str] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _apply_defaults(cls.__dict__["__init__"])
        cls._accepted_cache = None

    @classmethod
    def _accepted_args(cls) -> frozenset[str]:
        if cls.__dict__.get("_accepted_cache") is None:
            cls._accepted_cache = _init_params(cls)
        return cls._accepted_cache

    def __init__(
        self,
        *,
        task_id: str,
        owner: str = "airflow",
        retries: int | None = 0,
        retry_delay: timedelta | float = timedelta(seconds=300),
        retry_exponential_backoff: float | bool = 0,
        max_retry_delay: timedelta | float | None = None,
        execution_timeout: timedelta | float | None = None,
        trigger_rule: str = TriggerRule.ALL_SUCCESS,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        dag: DAG | None = None,
        task_group: Any = None,
        params: dict[str, Any] | None = None,
        priority_weight: int = 1,
        queue: str = "default",
        pool: str | None = None,
        doc_md: str | None = None,
        do_xcom_push: bool = True,
        multiple_outputs: bool = False,
        on_execute_callback: Callable | list[Callable] | None = None,
        on_success_callback: Callable | list[Callable] | None = None,
        on_failure_callback: Callable | list[Callable] | None = None,
        on_retry_callback: Callable | list[Callable] | None = None,
        pre_execute: Callable | None = None,
        post_execute: Callable | None = None,
        depends_on_past: bool = False,
        wait_for_downstream: bool = False,
        ignore_first_depends_on_past: bool = True,
        max_active_tis_per_dag: int | None = None,
        max_active_tis_per_dagrun: int | None = None,
        email: str | list[str] | None = None,
        email_on_retry: bool = True,
        email_on_failure: bool = True,
        _default_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        if "task_concurrency" in kwargs:  # Airflow 1/2 name
            warn_legacy("task_concurrency", "use max_active_tis_per_dag", argument="task_concurrency")
            max_active_tis_per_dag = kwargs.pop("task_concurrency")
        unknown = set(kwargs) - _ACCEPTED_NO_EFFECT
        if unknown:
            raise unsupported_argument(type(self).__name__, f"task_id={task_id!r}", sorted(unknown))
        self.depends_on_past = bool(depends_on_past or wait_for_downstream)  # Airflow: the one implies the other
        self.wait_for_downstream = bool(wait_for_downstream)
        self.ignore_first_depends_on_past = ignore_first_depends_on_past
        self.max_active_tis_per_dag = max_active_tis_per_dag
        self.max_active_tis_per_dagrun = max_active_tis_per_dagrun
        _check_id(task_id, "task_id")
        from chalicelib.sdk.task_group import TaskGroupContext

        dag = dag or DagContext.current()
        group = task_group or (TaskGroupContext.current(dag) if dag else None)
        self.task_group = group
        self.task_id = group.child_id(task_id) if group is not None else task_id
        self.owner = owner
        self.retries = int(retries or 0)
        self.retry_delay = to_seconds(retry_delay)
        # Airflow 3: a multiplier (2.0 doubles the delay); True keeps its Airflow 2 meaning of 2.0.
        self.retry_exponential_backoff = 2.0 if retry_exponential_backoff is True else float(retry_exponential_backoff or 0)
        self.max_retry_delay = to_seconds(max_retry_delay)
        self.execution_timeout = to_seconds(execution_timeout)
        try:
            self.trigger_rule = TriggerRule.parse(trigger_rule)
        except ValueError as exc:
            raise DagDefinitionError(f"task {self.task_id!r}: {exc}") from None
        self.start_date = as_aware(start_date) if start_date else None
        self.end_date = as_aware(end_date) if end_date else None
        self.priority_weight = int(priority_weight)
        self.queue = queue
        self.pool = pool or "default_pool"
        self.doc_md = doc_md
        self.do_xcom_push = do_xcom_push
        self.multiple_outputs = multiple_outputs
        self.on_execute_callback = on_execute_callback
        self.on_success_callback = on_success_callback
        self.on_failure_callback = on_failure_callback
        self.on_retry_callback = on_retry_callback
        self.on_skipped_callback = kwargs.get("on_skipped_callback")
        # Alert mails after a failed try or a retry (sent by the runner through SMTP or Amazon SES).
        self.email = email
        self.email_on_failure = email_on_failure
        self.email_on_retry = email_on_retry
        from chalicelib.sdk.assets import outlet_assets

        self.outlets = outlet_assets(kwargs.get("outlets"))  # an event per asset when the task succeeds
        self.inlets = outlet_assets(kwargs.get("inlets"))
        self._pre_execute_hook = pre_execute
        self._post_execute_hook = post_execute
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self._params_arg = ParamsDict(_default_params).merged(params)
        self.dag: DAG | None = None
        if dag is not None:
            self._attach(dag)

    # --- graph ---------------------------------------------------------------------------------------
    def _attach(self, dag: DAG) -> None:
        self.dag = dag
        dag.add_task(self)
        if self.task_group is None:
            self.task_group = dag.task_group
        self.task_group.add(self)

    def _roots(self) -> list[BaseOperator]:
        return [self]

    def _leaves(self) -> list[BaseOperator]:
        return [self]

    def _add_edge_to(self, other: BaseOperator) -> None:
        if self.dag is None and other.dag is not None:
            self._attach(other.dag)
        elif other.dag is None and self.dag is not None:
            other._attach(self.dag)
        elif self.dag is not other.dag:
            raise DagDefinitionError(f"tried to set a dependency between tasks of different DAGs: {self} >> {other}")
        if other.task_id == self.task_id:
            raise DagDefinitionError(f"task {self.task_id!r} cannot depend on itself")
        self.downstream_task_ids.add(other.task_id)
        other.upstream_task_ids.add(self.task_id)

    @property
    def dag_id(self) -> str | None:
        return self.dag.dag_id if self.dag else None

    @property
    def upstream_list(self) -> list[BaseOperator]:
        return [self.dag.get_task(t) for t in sorted(self.upstream_task_ids)] if self.dag else []

    @property
    def downstream_list(self) -> list[BaseOperator]:
        return [self.dag.get_task(t) for t in sorted(self.downstream_task_ids)] if self.dag else []

    def get_flat_relative_ids(self, *, upstream: bool = False) -> set[str]:
        found: set[str] = set()
        stack = list(self.upstream_task_ids if upstream else self.downstream_task_ids)
        while stack:
            task_id = stack.pop()
            if task_id in found:
                continue
            found.add(task_id)
            task = self.dag.get_task(task_id)
            stack.extend(task.upstream_task_ids if upstream else task.downstream_task_ids)
        return found

    @property
    def output(self) -> Any:
        from chalicelib.sdk.xcom_arg import XComArg

        return XComArg(self)

    def _link_xcom_args(self) -> None:
        """Task outputs passed into templated fields become upstream dependencies (as in Airflow)."""
        from chalicelib.sdk.xcom_arg import iter_xcom_args

        for field in self.template_fields:
            for arg in iter_xcom_args(getattr(self, field, None)):
                arg.operator.set_downstream(self)

    @property
    def params(self) -> ParamsDict:
        base = self.dag.params if self.dag else ParamsDict()
        return base.merged(self._params_arg)

    # --- execution -----------------------------------------------------------------------------------
    def execute(self, context: dict[str, Any]) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement execute()")

    def pre_execute(self, context: dict[str, Any]) -> None:
        if self._pre_execute_hook:
            self._pre_execute_hook(context)

    def post_execute(self, context: dict[str, Any], result: Any = None) -> None:
        if self._post_execute_hook:
            self._post_execute_hook(context, result)

    def render_template_fields(self, context: dict[str, Any]) -> None:
        from chalicelib.sdk.templating import render_operator_fields

        render_operator_fields(self, context)

    def render_template(self, content: Any, context: dict[str, Any]) -> Any:
        from chalicelib.sdk.templating import render_value

        return render_value(content, context, self)

    def callbacks(self, kind: str) -> list[Callable]:
        value = getattr(self, f"on_{kind}_callback", None)
        if value is None:
            return []
        return list(value) if isinstance(value, Iterable) else [value]

    # --- setup / teardown (Airflow 2.7+) ------------------------------------------------------------
    is_setup = False
    is_teardown = False
    on_failure_fail_dagrun = False

    def as_setup(self) -> BaseOperator:
        self.is_setup = True
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None) -> BaseOperator:
        """A teardown runs once its upstream tasks are done if one of its setups succeeded; by default its
        failure does not fail the run."""
        self.is_teardown = True
        self.trigger_rule = TriggerRule.ALL_DONE_SETUP_SUCCESS
        if on_failure_fail_dagrun is not None:
            self.on_failure_fail_dagrun = on_failure_fail_dagrun
        if setups is not None:
            from chalicelib.sdk.dependencies import _flatten

            for setup in _flatten(setups):
                for operator in setup._leaves():
                    operator.as_setup()
                setup.set_downstream(self)
        return self

    @classmethod
    def partial(cls, **kwargs: Any) -> Any:
        """`Operator.partial(task_id=..., **fixed).expand(arg=[...])`: dynamic task mapping."""
        from chalicelib.sdk.mappedoperator import OperatorPartial

        return OperatorPartial(cls, kwargs)

    @property
    def is_mapped(self) -> bool:
        return False

    def _from_default_args(self, name: str) -> str:
        """" (from default_args)" when the argument came from default_args, so messages can say where."""
        return " (from default_args)" if name in getattr(self, "_args_from_defaults", ()) else ""

    # `with teardown:` / `with setup >> teardown:`: tasks made inside run after the setups, before the teardown.
    def __enter__(self) -> BaseOperator:
        if not (self.is_setup or self.is_teardown):
            raise DagDefinitionError(f"task {self.task_id!r}: only setup and teardown tasks work as context managers")
        self._context_before = set(self.dag.task_dict) if self.dag else set()
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None or self.dag is None:
            return
        made = [t for tid, t in self.dag.task_dict.items() if tid not in self._context_before]
        ids = {t.task_id for t in made}
        roots = [t for t in made if not (t.upstream_task_ids & ids)]
        leaves = [t for t in made if not (t.downstream_task_ids & ids)]
        # A teardown closing an inner scope is not where the outer scope's work ends: its upstreams are.
        leaves = [u for t in leaves for u in ([t] if not t.is_teardown else
                  [self.dag.get_task(x) for x in t.upstream_task_ids & ids if not self.dag.get_task(x).is_setup])]
        if self.is_teardown:
            setups = [self.dag.get_task(u) for u in self.upstream_task_ids if self.dag.get_task(u).is_setup]
            for setup in setups:
                setup.set_downstream(roots)
            for leaf in leaves:
                leaf.set_downstream(self)
        else:
            self.set_downstream(roots)

    def __repr__(self) -> str:
        return f"<Task({type(self).__name__}): {self.task_id}>"


# Subclasses are wrapped by __init_subclass__; the base itself needs it for operators without an __init__.
BaseOperator.__init__ = _apply_defaults(BaseOperator.__init__)  # type: ignore[method-assign]


def _task_logger(self: BaseOperator) -> Any:
    import logging

    return logging.getLogger(f"airflow.task.operators.{type(self).__module__}.{type(self).__name__}")


BaseOperator.log = property(_task_logger)  # type: ignore[attr-defined]
