"""Airflow's Connection: the model, its URI and JSON forms, and where `Connection.get(conn_id)` looks.

Lookup order is Airflow's: the environment (`AIRFLOW_CONN_<CONN_ID>`, a URI or a JSON object), then the
store the running process installed (the secrets store on AWS and under `levante dev`). The store is chosen
per execution context (a contextvar), as for Variables. Every connection resolved registers its password
and sensitive extras with the secrets masker, so they never reach a log in clear.
"""

from __future__ import annotations

import contextvars
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from chalicelib.sdk.exceptions import AirflowException, AirflowNotFoundException
from chalicelib.sdk.masker import MASK, mask_secret, should_hide_value_for_key

EXTRA_KEY = "__extra__"
CONN_ID_PATTERN = re.compile(r"[\w.-]{1,200}", re.ASCII)  # Airflow's validate_key, ASCII only (SSM names)
FIELDS = ("conn_type", "description", "host", "login", "password", "schema", "port", "extra")


class ConnectionNotFound(AirflowNotFoundException):
    pass


class ConnectionStore(Protocol):
    def get_connection(self, conn_id: str) -> str | None: ...  # the connection's JSON (or URI) form


class _NoStore:
    def get_connection(self, conn_id: str) -> str | None:
        return None


_store: contextvars.ContextVar[ConnectionStore] = contextvars.ContextVar("levante_connections")


@contextmanager
def using_connection_store(store: ConnectionStore) -> Iterator[None]:
    token = _store.set(store)
    try:
        yield
    finally:
        _store.reset(token)


def normalize_conn_type(conn_type: str | None) -> str | None:
    if conn_type == "postgresql":
        return "postgres"
    return conn_type.replace("-", "_") if conn_type and "-" in conn_type else conn_type


def validate_conn_id(conn_id: str) -> str:
    if not isinstance(conn_id, str) or not CONN_ID_PATTERN.fullmatch(conn_id):
        raise ValueError(f"invalid connection id {conn_id!r}: 1-200 characters among letters, digits, '_', '.', '-'")
    return conn_id


class Connection:
    def __init__(self, conn_id: str | None = None, conn_type: str | None = None, description: str | None = None,
                 host: str | None = None, login: str | None = None, password: str | None = None,
                 schema: str | None = None, port: int | None = None, extra: str | dict | None = None,
                 uri: str | None = None):
        self.conn_id = conn_id
        self.description = description
        if uri and any(v is not None for v in (conn_type, host, login, password, schema, port, extra)):
            raise AirflowException("You must create an object using the URI or individual values (conn_type, host, "
                                   "login, password, schema, port or extra). You can't mix these two ways to create "
                                   "this object.")
        self.conn_type = self.host = self.login = self.password = self.schema = None
        self.port: int | None = None
        self.extra: str | None = None
        if uri:
            self._parse_from_uri(uri)
        else:
            self.conn_type = normalize_conn_type(conn_type)
            self.host, self.login, self.password, self.schema = host, login, password, schema
            self.port = int(port) if port not in (None, "") else None
            self.extra = json.dumps(extra) if isinstance(extra, dict) else extra

    # --- the URI form, as Airflow reads and writes it ---
    def _parse_from_uri(self, uri: str) -> None:
        schemes = uri.count("://")
        if schemes > 2:
            raise AirflowException(f"Invalid connection string: {uri}.")
        host_with_protocol = schemes == 2
        conn_type = urlsplit(uri).scheme
        self.conn_type = normalize_conn_type(conn_type)
        rest = uri.replace(f"{conn_type}://", "" if host_with_protocol else "//", 1)
        if host_with_protocol:
            before = rest.split("://", 1)[0]
            if "@" in before or ":" in before:
                raise AirflowException(f"Invalid connection string: {uri}.")
        parts = urlsplit(rest)
        host = _hostname(parts)
        protocol = parts.scheme if host_with_protocol else None
        self.host = f"{protocol}://{host}" if protocol else host
        self.schema = unquote(parts.path[1:]) if parts.path[1:] else parts.path[1:]
        self.login = unquote(parts.username) if parts.username else parts.username
        self.password = unquote(parts.password) if parts.password else parts.password
        self.port = parts.port
        if parts.query:
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            self.extra = query[EXTRA_KEY] if EXTRA_KEY in query else json.dumps(query)

    def get_uri(self) -> str:
        uri = f"{self.conn_type.lower().replace('_', '-')}://" if self.conn_type else "//"
        host, protocol = self.host, None
        if host and "://" in host:
            protocol, host = host.split("://", 1)
        if protocol:
            uri += f"{protocol}://"
        authority = ""
        if self.login is not None:
            authority += quote(self.login, safe="")
        if self.password is not None:
            authority += ":" + quote(self.password, safe="")
        if authority:
            uri += authority + "@"
        block = quote(host, safe="") if host else ""
        if self.port:
            block += f"@:{self.port}" if not block and not authority else f":{self.port}"
        if self.schema:
            block += f"/{quote(self.schema, safe='')}"
        uri += block
        if self.extra:
            try:
                query: str | None = urlencode(self.extra_dejson)
            except TypeError:
                query = None
            if query and self.extra_dejson == dict(parse_qsl(query, keep_blank_values=True)):
                uri += ("?" if self.schema else "/?") + query
            else:
                uri += ("?" if self.schema else "/?") + urlencode({EXTRA_KEY: self.extra})
        return uri

    # --- the JSON form (AIRFLOW_CONN_* values starting with '{', the secrets store) ---
    @classmethod
    def from_json(cls, value: str, conn_id: str | None = None) -> Connection:
        try:
            kwargs = json.loads(value)
        except json.JSONDecodeError as exc:
            raise AirflowException(f"connection {conn_id!r} is not valid JSON: {exc}") from None
        if not isinstance(kwargs, dict):
            raise AirflowException(f"connection {conn_id!r}: expected a JSON object")
        unknown = set(kwargs) - set(FIELDS) - {"conn_id", "connection_id"}
        if unknown:
            raise AirflowException(f"connection {conn_id!r}: unknown fields {sorted(unknown)}")
        kwargs.pop("conn_id", None), kwargs.pop("connection_id", None)
        port = kwargs.pop("port", None)
        if port not in (None, ""):
            try:
                kwargs["port"] = int(port)
            except (TypeError, ValueError):
                raise ValueError(f"Expected integer value for `port`, but got {port!r} instead.") from None
        return cls(conn_id=conn_id, **kwargs)

    def to_dict(self, *, prune_empty: bool = False, validate: bool = True) -> dict[str, Any]:
        data = {"conn_id": self.conn_id, "conn_type": self.conn_type, "description": self.description,
                "host": self.host, "login": self.login, "password": self.password, "schema": self.schema,
                "port": self.port, "extra": self.extra}
        return {k: v for k, v in data.items() if v not in (None, "")} if prune_empty else data

    def as_json(self) -> str:
        data = self.to_dict(prune_empty=True)
        data.pop("conn_id", None)
        return json.dumps(data)

    @classmethod
    def parse(cls, conn_id: str, value: str) -> Connection:
        """An AIRFLOW_CONN_* or stored value: JSON when it starts with '{', else a URI."""
        text = value.strip()
        conn = cls.from_json(text, conn_id) if text.startswith("{") else cls(conn_id=conn_id, uri=text)
        return conn

    # --- accessors Airflow code uses ---
    @property
    def extra_dejson(self) -> dict[str, Any]:
        if not self.extra:
            return {}
        try:
            value = json.loads(self.extra)
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}

    def get_extra(self) -> str | None:
        return self.extra

    def get_password(self) -> str | None:
        return self.password

    def masked_extra(self) -> dict[str, Any]:
        return {k: MASK if should_hide_value_for_key(k) and v not in (None, "") else v
                for k, v in self.extra_dejson.items()}

    def register_secrets(self) -> None:
        if self.password:
            mask_secret(self.password)
        mask_secret(self.extra_dejson)

    def get_hook(self, *, hook_params: dict[str, Any] | None = None) -> Any:
        from chalicelib.sdk.hooks.registry import hook_class

        return hook_class(self.conn_type)(**{hook_class(self.conn_type).conn_name_attr: self.conn_id,
                                             **(hook_params or {})})

    @classmethod
    def get(cls, conn_id: str) -> Connection:
        return get_connection(conn_id)

    def test_connection(self) -> tuple[bool, str]:
        try:
            hook = self.get_hook()
        except Exception as exc:  # noqa: BLE001 - reported, as Airflow's test does
            return False, str(exc)
        tester = getattr(hook, "test_connection", None)
        if tester is None:
            return False, f"Hook {type(hook).__name__} doesn't implement or inherit test_connection"
        return tester()

    def __repr__(self) -> str:
        return self.conn_id or ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Connection) and self.conn_id == other.conn_id and all(
            getattr(self, f) == getattr(other, f) for f in FIELDS)

    __hash__ = None  # type: ignore[assignment]


def _hostname(parts: Any) -> str:
    hostname = unquote(parts.hostname or "")
    if "/" in hostname:  # a quoted path as host (sqlite://%2Ftmp%2Fx.db): keep its case, from the netloc
        hostname = parts.netloc
        if "@" in hostname:
            hostname = hostname.rsplit("@", 1)[1]
        if ":" in hostname:
            hostname = hostname.split(":", 1)[0]
        hostname = unquote(hostname)
    return hostname


def get_connection(conn_id: str) -> Connection:
    value = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if value is None:
        value = _store.get(_NoStore()).get_connection(conn_id)
    if value is None:
        raise ConnectionNotFound(f"The conn_id `{conn_id}` isn't defined")
    conn = Connection.parse(conn_id, value)
    conn.register_secrets()
    return conn
