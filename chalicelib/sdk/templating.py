"""Jinja rendering of operators' templated fields, with Airflow's environment and filters."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from chalicelib.sdk.xcom_arg import resolve_args

if TYPE_CHECKING:
    import jinja2

    from chalicelib.sdk.baseoperator import BaseOperator
    from chalicelib.sdk.dag import DAG


def render_operator_fields(task: BaseOperator, context: dict[str, Any]) -> None:
    """Render every field in `task.template_fields` in place (the task object is per-try)."""
    for field in task.template_fields:
        value = getattr(task, field, None)
        if value is None:
            continue
        setattr(task, field, render_value(value, context, task))


def render_value(value: Any, context: dict[str, Any], task: BaseOperator) -> Any:
    value = resolve_args(value, context)
    env = template_env(task.dag) if task.dag else _plain_env()
    return _render(value, context, env, task.template_ext, set())


def _render(value: Any, context: dict[str, Any], env: jinja2.Environment, exts: tuple[str, ...], seen: set[int]) -> Any:
    if isinstance(value, str):
        if exts and value.strip().endswith(tuple(exts)):
            try:
                return env.get_template(value.strip()).render(context)
            except _template_not_found():
                pass  # a command that merely ends like a file name: render it as text, as Airflow does
        return env.from_string(value).render(context)
    if isinstance(value, list):
        return [_render(v, context, env, exts, seen) for v in value]
    if isinstance(value, tuple):
        return tuple(_render(v, context, env, exts, seen) for v in value)
    if isinstance(value, dict):
        return {k: _render(v, context, env, exts, seen) for k, v in value.items()}
    if isinstance(value, set):
        return {_render(v, context, env, exts, seen) for v in value}
    nested = getattr(value, "template_fields", None)
    if nested and id(value) not in seen:  # objects with their own template_fields render those
        seen.add(id(value))
        for field in nested:
            setattr(value, field, _render(getattr(value, field), context, env, exts, seen))
    return value


def _template_not_found() -> type[Exception]:
    import jinja2

    return jinja2.TemplateNotFound


def template_env(dag: DAG) -> jinja2.Environment:
    env = getattr(dag, "_jinja_env", None)
    if env is None:
        env = _build_env(dag)
        dag._jinja_env = env
    return env


def _build_env(dag: DAG) -> jinja2.Environment:
    import jinja2
    import jinja2.sandbox

    searchpath = [dag.folder, *dag.template_searchpath]
    options: dict[str, Any] = {
        "loader": jinja2.FileSystemLoader([p for p in searchpath if os.path.isdir(p)] or ["."]),
        "undefined": dag.template_undefined or jinja2.StrictUndefined,
        "extensions": ["jinja2.ext.do"],
        "cache_size": 0,
        "keep_trailing_newline": True,  # as Airflow's: a rendered file or SQL keeps its last newline
        **dag.jinja_environment_kwargs,
    }
    if dag.render_template_as_native_obj:
        import jinja2.nativetypes

        class NativeSandbox(jinja2.sandbox.SandboxedEnvironment, jinja2.nativetypes.NativeEnvironment):
            pass

        env: jinja2.Environment = NativeSandbox(**options)
    else:
        env = jinja2.sandbox.SandboxedEnvironment(**options)
    env.filters.update(_AIRFLOW_FILTERS)
    env.filters.update(dag.user_defined_filters)
    env.globals.update(dag.user_defined_macros)
    return env


def _plain_env() -> jinja2.Environment:
    import jinja2
    import jinja2.sandbox

    env = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"],
                                              keep_trailing_newline=True)
    env.filters.update(_AIRFLOW_FILTERS)
    return env


_AIRFLOW_FILTERS = {
    "ds": lambda d: d.strftime("%Y-%m-%d"),
    "ds_nodash": lambda d: d.strftime("%Y%m%d"),
    "ts": lambda d: d.isoformat(),
    "ts_nodash": lambda d: d.strftime("%Y%m%dT%H%M%S"),
    "ts_nodash_with_tz": lambda d: d.isoformat().replace("-", "").replace(":", ""),
}
