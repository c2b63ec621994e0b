"""SqlSensor: poke with a query until the selected value of its first row is truthy (or `success` says so)."""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from chalicelib.providers.common_sql.hooks import DbApiHook
from chalicelib.sdk.connection import get_connection
from chalicelib.sdk.exceptions import AirflowException
from chalicelib.sdk.sensors.base import BaseSensorOperator


class SqlSensor(BaseSensorOperator):
    template_fields = ("sql", "hook_params", "parameters")
    template_ext = (".hql", ".sql")
    ui_color = "#7c7287"

    def __init__(self, *, conn_id: str, sql: str, parameters: Any = None, success: Callable | None = None,
                 failure: Callable | None = None, selector: Callable = itemgetter(0), fail_on_empty: bool = False,
                 hook_params: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self.sql = sql
        self.parameters = parameters
        self.success = success
        self.failure = failure
        self.selector = selector
        self.fail_on_empty = fail_on_empty
        self.hook_params = hook_params or {}

    def _get_hook(self) -> DbApiHook:
        hook = get_connection(self.conn_id).get_hook(hook_params=self.hook_params)
        if not isinstance(hook, DbApiHook):
            raise AirflowException(f"The connection type is not supported by {type(self).__name__}. The associated "
                                   f"hook should be a subclass of `DbApiHook`. Got {type(hook).__name__}")
        return hook

    def poke(self, context: dict[str, Any]) -> bool:
        hook = self._get_hook()
        self.log.info("Poking: %s (with parameters %s)", self.sql, self.parameters)
        records = hook.get_records(self.sql, self.parameters)
        if not records:
            if self.fail_on_empty:
                raise AirflowException("No rows returned, raising as per fail_on_empty flag")
            return False
        condition = self.selector(records[0])
        if self.failure is not None:
            if not callable(self.failure):
                raise AirflowException(f"self.failure is present, but not callable -> {self.failure}")
            if self.failure(condition):
                raise AirflowException(f"Failure criteria met. self.failure({condition}) returned True")
        if self.success is not None:
            if not callable(self.success):
                raise AirflowException(f"self.success is present, but not callable -> {self.success}")
            return bool(self.success(condition))
        return bool(condition)
