"""Connection URIs and JSON as Airflow reads and writes them; lookup order env -> store; masking on resolve."""

from __future__ import annotations

import json

import pytest

from chalicelib.sdk.connection import Connection, ConnectionNotFound, get_connection, using_connection_store
from chalicelib.sdk.masker import masker


def test_uri_fields_as_airflow_parses_them() -> None:
    c = Connection(conn_id="x", uri="my-conn-type://login:p%40ss%2Fw@host.example:5432/my%20db?param1=val1&param2=val2")
    assert (c.conn_type, c.host, c.login, c.password, c.port, c.schema) == (
        "my_conn_type", "host.example", "login", "p@ss/w", 5432, "my db")
    assert c.extra_dejson == {"param1": "val1", "param2": "val2"}


@pytest.mark.parametrize(("uri", "host", "schema"), [
    ("sqlite://%2Ftmp%2FMixed%2Fx.db", "/tmp/Mixed/x.db", ""),  # path as quoted host: case kept
    ("sqlite:///relative.db", "", "relative.db"),
    ("http://https%3A%2F%2Fapi.example.com%2Fv1", "https://api.example.com/v1", ""),
    ("http://https://api.example.com", "https://api.example.com", ""),
])
def test_hosts_with_paths_and_protocols(uri: str, host: str, schema: str) -> None:
    c = Connection(conn_id="x", uri=uri)
    assert (c.host, c.schema) == (host, schema)


def test_postgresql_is_postgres_and_extra_key() -> None:
    c = Connection(conn_id="x", uri='postgresql://u@h/db?__extra__=%7B%22nested%22%3A+%7B%22a%22%3A+1%7D%7D')
    assert c.conn_type == "postgres" and c.extra_dejson == {"nested": {"a": 1}}


def test_get_uri_round_trips() -> None:
    c = Connection(conn_id="x", conn_type="postgres", host="db.example", login="us er", password="p@ss:w/rd",
                   port=5432, schema="warehouse", extra={"sslmode": "require"})
    uri = c.get_uri()
    assert uri == "postgres://us%20er:p%40ss%3Aw%2Frd@db.example:5432/warehouse?sslmode=require"
    back = Connection(conn_id="x", uri=uri)
    assert (back.login, back.password, back.host, back.port, back.schema, back.extra_dejson) == (
        "us er", "p@ss:w/rd", "db.example", 5432, "warehouse", {"sslmode": "require"})
    nested = Connection(conn_id="y", conn_type="aws", extra={"config": {"retries": 3}})
    assert "__extra__=" in nested.get_uri() and Connection(uri=nested.get_uri()).extra_dejson == {"config": {"retries": 3}}
    assert Connection(conn_id="z", conn_type="sqlite", host="/tmp/x.db").get_uri() == "sqlite://%2Ftmp%2Fx.db"


def test_json_form_and_errors() -> None:
    c = Connection.parse("j", json.dumps({"conn_type": "http", "host": "example.com", "port": "8080",
                                          "extra": {"verify": False}}))
    assert (c.conn_type, c.port, c.extra_dejson) == ("http", 8080, {"verify": False})
    assert Connection.parse("j", c.as_json()) == c
    with pytest.raises(ValueError, match="integer value for `port`"):
        Connection.parse("j", '{"conn_type": "http", "port": "eighty"}')
    with pytest.raises(Exception, match="mix"):
        Connection(uri="http://h", host="h")
    with pytest.raises(Exception, match="Invalid connection string"):
        Connection(uri="a://b://c://d")


class _Store:
    def __init__(self, values: dict[str, str]):
        self.values = values

    def get_connection(self, conn_id: str) -> str | None:
        return self.values.get(conn_id)


def test_env_wins_over_store_and_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    store = _Store({"db": json.dumps({"conn_type": "postgres", "host": "from-store", "password": "store-pass-123",
                                      "extra": {"api_key": "extra-key-456", "region": "eu-west-1"}})})
    with using_connection_store(store):
        c = get_connection("db")
        assert c.host == "from-store"
        assert masker().mask_text("pw store-pass-123 key extra-key-456 region eu-west-1") == (
            "pw *** key *** region eu-west-1")
        monkeypatch.setenv("AIRFLOW_CONN_DB", "postgres://u:env-pass-789@from-env:5432/db")
        assert get_connection("db").host == "from-env"
        assert "env-pass-789" not in masker().mask_text("env-pass-789")
        with pytest.raises(ConnectionNotFound, match="isn't defined"):
            get_connection("missing")
