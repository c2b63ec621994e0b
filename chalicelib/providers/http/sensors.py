"""HttpSensor: poke an endpoint until it answers. Airflow's semantics exactly: an HTTP error whose
"<status>:<reason>" starts with an allow-listed code (default 404) means "not yet"; any other error fails
the poke (so the task, with its retries); a 2xx/3xx is done unless `response_check` says otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.providers.http.hooks import HttpHook
from chalicelib.providers.http.operators import context_kwargs
from chalicelib.sdk.exceptions import AirflowException
from chalicelib.sdk.sensors.base import BaseSensorOperator


class HttpSensor(BaseSensorOperator):
    template_fields = ("endpoint", "request_params", "headers")

    def __init__(self, *, endpoint: str, http_conn_id: str = "http_default", method: str = "GET",
                 request_params: dict[str, Any] | None = None, request_kwargs: dict[str, Any] | None = None,
                 headers: dict[str, Any] | None = None, response_error_codes_allowlist: list[str] | None = None,
                 response_check: Callable[..., bool] | None = None, extra_options: dict[str, Any] | None = None,
                 tcp_keep_alive: bool = True, tcp_keep_alive_idle: int = 120, tcp_keep_alive_count: int = 20,
                 tcp_keep_alive_interval: int = 30, deferrable: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.endpoint = endpoint
        self.http_conn_id = http_conn_id
        self.method = method
        self.request_params = request_params or {}
        self.headers = headers or {}
        self.extra_options = extra_options or {}
        self.request_kwargs = request_kwargs or {}
        self.response_error_codes_allowlist = (
            ("404",) if response_error_codes_allowlist is None else tuple(response_error_codes_allowlist))
        self.response_check = response_check
        self.deferrable = deferrable

    def poke(self, context: dict[str, Any]) -> bool:
        hook = HttpHook(method=self.method, http_conn_id=self.http_conn_id)
        self.log.info("Poking: %s", self.endpoint)
        try:
            response = hook.run(self.endpoint, data=self.request_params, headers=self.headers,
                                extra_options=self.extra_options, **self.request_kwargs)
            if self.response_check:
                return self.response_check(response, **context_kwargs(self.response_check, (response,), context))
        except AirflowException as exc:
            if str(exc).startswith(self.response_error_codes_allowlist):
                return False
            raise
        return True
