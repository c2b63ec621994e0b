"""Airflow's BaseHook: what every provider hook builds on (a connection by id, a logger, get_hook)."""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.sdk.connection import Connection, get_connection


class BaseHook:
    conn_name_attr = "conn_id"
    default_conn_name = "default_conn_id"
    conn_type = ""
    hook_name = ""

    def __init__(self, logger_name: str | None = None, **_: Any):
        self.log = logging.getLogger(logger_name or f"airflow.task.hooks.{type(self).__module__}.{type(self).__name__}")

    @classmethod
    def get_connection(cls, conn_id: str) -> Connection:
        return get_connection(conn_id)

    @classmethod
    def get_hook(cls, conn_id: str, hook_params: dict[str, Any] | None = None) -> Any:
        return get_connection(conn_id).get_hook(hook_params=hook_params)

    def get_conn(self) -> Any:
        raise NotImplementedError()

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {}
