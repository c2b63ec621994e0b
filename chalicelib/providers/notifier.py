"""BaseNotifier: a callable for `on_*_callback` that renders its template fields with the task's context and
then notifies (Airflow's airflow.sdk.BaseNotifier)."""

from __future__ import annotations

from typing import Any


class BaseNotifier:
    template_fields: tuple[str, ...] = ()

    def render_template_fields(self, context: dict[str, Any]) -> None:
        from chalicelib.sdk.templating import render_value

        task = context.get("task")
        for name in self.template_fields:
            value = getattr(self, name, None)
            if value is not None and task is not None:
                setattr(self, name, render_value(value, context, task))

    def notify(self, context: dict[str, Any]) -> None:
        raise NotImplementedError

    def __call__(self, *args: Any) -> None:
        # Task callbacks pass the context; DAG callbacks too. (Airflow 2's SLA-miss form is not supported.)
        context = args[0] if args else {}
        self.render_template_fields(context)
        self.notify(context)
