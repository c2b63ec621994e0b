"""apache-airflow-providers-sqlite: SqliteHook (stdlib sqlite3) and the Airflow 2 SqliteOperator."""

from __future__ import annotations

import sqlite3
from typing import Any
from urllib.parse import urlencode

from chalicelib.providers.common_sql.hooks import DbApiHook
from chalicelib.providers.common_sql.operators import SQLExecuteQueryOperator


class SqliteHook(DbApiHook):
    conn_name_attr = "sqlite_conn_id"
    default_conn_name = "sqlite_default"
    conn_type = "sqlite"
    hook_name = "Sqlite"
    placeholder = "?"

    def get_conn(self) -> sqlite3.Connection:
        """The file is the connection's host (`sqlite://%2Ftmp%2Fx.db`), opened as a `file:` URI with the
        extras as its query (e.g. `mode=ro`), as the provider does."""
        conn = self.connection
        path = conn.host or conn.schema or ""
        query = urlencode(conn.extra_dejson)
        return sqlite3.connect(f"file:{path}" + (f"?{query}" if query else ""), uri=True)

    def set_autocommit(self, conn: Any, autocommit: bool) -> None:
        conn.isolation_level = None if autocommit else ""

    def get_autocommit(self, conn: Any) -> bool:
        return conn.isolation_level is None


class SqliteOperator(SQLExecuteQueryOperator):
    def __init__(self, *, sqlite_conn_id: str = "sqlite_default", **kwargs: Any):
        super().__init__(conn_id=sqlite_conn_id, **kwargs)
