"""HttpHook: a requests session built from an `http` connection (base URL, basic auth, headers from extra)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from chalicelib.providers import require
from chalicelib.sdk.exceptions import AirflowException
from chalicelib.sdk.hooks.base import BaseHook

# Extra fields that configure the session itself; every other extra field is a request header (Airflow's rule).
_SESSION_KEYS = ("proxy", "proxies", "stream", "verify", "cert", "max_redirects", "trust_env", "timeout",
                 "allow_redirects", "check_response", "auth_type", "auth_kwargs")


def url_from_endpoint(base_url: str | None, endpoint: str | None) -> str:
    if base_url and not base_url.endswith("/") and endpoint and not endpoint.startswith("/"):
        return f"{base_url}/{endpoint}"
    return (base_url or "") + (endpoint or "")


class HttpHook(BaseHook):
    conn_name_attr = "http_conn_id"
    default_conn_name = "http_default"
    conn_type = "http"
    hook_name = "HTTP"

    def __init__(self, method: str = "POST", http_conn_id: str = default_conn_name, auth_type: Any = None,
                 tcp_keep_alive: bool = True, tcp_keep_alive_idle: int = 120, tcp_keep_alive_count: int = 20,
                 tcp_keep_alive_interval: int = 30, adapter: Any = None, **kwargs: Any):
        super().__init__()
        self.http_conn_id = http_conn_id
        self.method = method.upper()
        self.base_url = ""
        self._auth_type = auth_type
        self.adapter = adapter

    @property
    def auth_type(self) -> Any:
        return self._auth_type or require("requests", "http", "HttpHook").auth.HTTPBasicAuth

    def get_conn(self, headers: dict[str, Any] | None = None, extra_options: dict[str, Any] | None = None) -> Any:
        requests = require("requests", "http", "HttpHook")
        session = requests.Session()
        if self.http_conn_id:
            conn = self.get_connection(self.http_conn_id)
            self._set_base_url(conn)
            if conn.login:
                session.auth = self.auth_type(conn.login, conn.password)
            extra = conn.extra_dejson
            for key in ("stream", "verify", "cert", "trust_env", "max_redirects"):
                if key in extra:
                    setattr(session, key, extra[key])
            if "proxies" in extra or "proxy" in extra:
                session.proxies = extra.get("proxies", extra.get("proxy"))
            session.headers.update({k: str(v) for k, v in extra.items() if k not in _SESSION_KEYS})
        if self.adapter is not None:
            session.mount(self.base_url or "http://", self.adapter)
        if headers:
            session.headers.update(headers)
        return session

    def _set_base_url(self, conn: Any) -> None:
        host = conn.host or ""
        if "://" in host:
            self.base_url = host
        else:
            schema = conn.schema or "http"
            self.base_url = f"{schema}://{host}" if host else ""
            if conn.port:
                self.base_url = f"{self.base_url}:{conn.port}"
        if self.base_url and not urlparse(self.base_url).scheme:
            raise ValueError(f"Invalid base URL: Missing scheme in {self.base_url}")

    def url_from_endpoint(self, endpoint: str | None) -> str:
        return url_from_endpoint(self.base_url, endpoint)

    def run(self, endpoint: str | None = None, data: Any = None, headers: dict[str, Any] | None = None,
            extra_options: dict[str, Any] | None = None, **request_kwargs: Any) -> Any:
        requests = require("requests", "http", "HttpHook")
        extra_options = extra_options or {}
        session = self.get_conn(headers, extra_options)
        url = self.url_from_endpoint(endpoint)
        if self.method == "GET":
            request = requests.Request(self.method, url, params=data, headers=headers, **request_kwargs)
        elif self.method == "HEAD":
            request = requests.Request(self.method, url, headers=headers, **request_kwargs)
        else:
            request = requests.Request(self.method, url, data=data, headers=headers, **request_kwargs)
        prepared = session.prepare_request(request)
        self.log.info("Sending '%s' to url: %s", self.method, url)
        return self.run_and_check(session, prepared, extra_options)

    def check_response(self, response: Any) -> None:
        requests = require("requests", "http", "HttpHook")
        try:
            response.raise_for_status()
        except requests.exceptions.HTTPError:
            self.log.error("HTTP error: %s", response.reason)
            self.log.error(response.text)
            raise AirflowException(f"{response.status_code}:{response.reason}") from None

    def run_and_check(self, session: Any, prepared: Any, extra_options: dict[str, Any]) -> Any:
        settings = session.merge_environment_settings(prepared.url, proxies=session.proxies, stream=session.stream,
                                                      verify=session.verify, cert=session.cert)
        send_kwargs: dict[str, Any] = {"timeout": extra_options.get("timeout"),
                                       "allow_redirects": extra_options.get("allow_redirects", True), **settings}
        response = session.send(prepared, **send_kwargs)
        if extra_options.get("check_response", True):
            self.check_response(response)
        return response

    def run_with_advanced_retry(self, _retry_args: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        """Airflow passes tenacity arguments; Levante retries connection errors `stop_after_attempt` times."""
        requests = require("requests", "http", "HttpHook")
        attempts = _attempts(_retry_args)
        for attempt in range(1, attempts + 1):
            try:
                return self.run(*args, **kwargs)
            except requests.exceptions.ConnectionError:
                if attempt == attempts:
                    raise
                self.log.warning("connection error, attempt %d of %d", attempt, attempts)
        raise AssertionError("unreachable")

    def test_connection(self) -> tuple[bool, str]:
        try:
            self.run()
        except Exception as exc:  # noqa: BLE001 - reported as the test's outcome
            return False, str(exc)
        return True, "Connection successfully tested"


def _attempts(retry_args: dict[str, Any]) -> int:
    stop = retry_args.get("stop")
    return int(getattr(stop, "max_attempt_number", 3) or 3)
