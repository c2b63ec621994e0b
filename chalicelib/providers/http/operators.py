"""HttpOperator (SimpleHttpOperator in Airflow 2): one request, or a chain of pages; the XCom is the text,
or whatever `response_filter` returns. Semantics as apache-airflow-providers-http's synchronous path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.providers.http.hooks import HttpHook
from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.exceptions import AirflowException
from chalicelib.sdk.operators.python import callable_kwargs


def context_kwargs(func: Callable, args: tuple, context: dict[str, Any]) -> dict[str, Any]:
    """Airflow's determine_kwargs: the context entries the callable names (all of them if it takes **kwargs)."""
    return callable_kwargs(func, args, context, {})


class HttpOperator(BaseOperator):
    template_fields = ("endpoint", "data", "headers")
    template_fields_renderers = {"headers": "json", "data": "py"}
    ui_color = "#f4a460"

    def __init__(self, *, endpoint: str | None = None, method: str = "POST", data: Any = None,
                 headers: dict[str, str] | None = None, pagination_function: Callable | None = None,
                 response_check: Callable | None = None, response_filter: Callable | None = None,
                 extra_options: dict[str, Any] | None = None, request_kwargs: dict[str, Any] | None = None,
                 http_conn_id: str = "http_default", log_response: bool = False, auth_type: Any = None,
                 tcp_keep_alive: bool = True, tcp_keep_alive_idle: int = 120, tcp_keep_alive_count: int = 20,
                 tcp_keep_alive_interval: int = 30, deferrable: bool = False, retry_args: dict[str, Any] | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.http_conn_id = http_conn_id
        self.method = method
        self.endpoint = endpoint
        self.headers = headers or {}
        self.data = data or {}
        self.pagination_function = pagination_function
        self.response_check = response_check
        self.response_filter = response_filter
        self.extra_options = extra_options or {}
        self.request_kwargs = request_kwargs or {}
        self.log_response = log_response
        self.auth_type = auth_type
        self.retry_args = retry_args
        self.deferrable = deferrable  # no triggerer: runs the same requests synchronously

    @property
    def hook(self) -> HttpHook:
        return HttpHook(self.method, http_conn_id=self.http_conn_id, auth_type=self.auth_type)

    def execute(self, context: dict[str, Any]) -> Any:
        self.log.info("Calling HTTP method")
        hook = self.hook
        if self.retry_args:
            response = hook.run_with_advanced_retry(self.retry_args, self.endpoint, self.data, self.headers,
                                                    self.extra_options, **self.request_kwargs)
        else:
            response = hook.run(self.endpoint, self.data, self.headers, self.extra_options, **self.request_kwargs)
        return self.process_response(context, self.paginate(hook, response))

    def paginate(self, hook: HttpHook, response: Any) -> Any:
        if not self.pagination_function:
            return response
        responses = [response]
        while True:
            next_page = self.pagination_function(response)
            if not next_page:
                break
            response = hook.run(**self._merge_next_page_parameters(next_page))
            responses.append(response)
        return responses

    def process_response(self, context: dict[str, Any], response: Any) -> Any:
        if self.log_response:
            self.log.info(response.text if not isinstance(response, list) else [r.text for r in response])
        if self.response_check:
            if not self.response_check(response, **context_kwargs(self.response_check, (response,), context)):
                raise AirflowException("Response check returned False.")
        if self.response_filter:
            return self.response_filter(response, **context_kwargs(self.response_filter, (response,), context))
        return [r.text for r in response] if isinstance(response, list) else response.text

    def _merge_next_page_parameters(self, next_page: dict[str, Any]) -> dict[str, Any]:
        page_data = next_page.get("data")
        if isinstance(self.data, dict) and isinstance(page_data, dict):
            data: Any = {**self.data, **page_data}
        else:
            data = page_data or self.data
        return {"endpoint": next_page.get("endpoint") or self.endpoint, "data": data,
                "headers": {**self.headers, **next_page.get("headers", {})},
                "extra_options": {**self.extra_options, **next_page.get("extra_options", {})}, **self.request_kwargs}


class SimpleHttpOperator(HttpOperator):
    """The Airflow 2 name (providers-http < 5)."""
