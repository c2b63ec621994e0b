"""apache-airflow-providers-mysql: MySqlHook on PyMySQL (pure Python, the `mysql` extra) and MySqlOperator."""

from __future__ import annotations

from typing import Any

from chalicelib.providers import require
from chalicelib.providers.common_sql.hooks import DbApiHook
from chalicelib.providers.common_sql.operators import SQLExecuteQueryOperator


class MySqlHook(DbApiHook):
    conn_name_attr = "mysql_conn_id"
    default_conn_name = "mysql_default"
    conn_type = "mysql"
    hook_name = "MySQL"
    supports_autocommit = True

    def __init__(self, *args: Any, **kwargs: Any):
        if "database" in kwargs:
            kwargs["schema"] = kwargs.pop("database")
        kwargs.pop("local_infile", None)
        kwargs.pop("init_command", None)
        super().__init__(*args, **kwargs)

    def set_autocommit(self, conn: Any, autocommit: bool) -> None:
        conn.autocommit(autocommit)

    def get_autocommit(self, conn: Any) -> bool:
        return bool(conn.get_autocommit())

    def get_conn(self) -> Any:
        pymysql = require("pymysql", "mysql", "MySqlHook")
        conn = self.connection
        extra = conn.extra_dejson
        params: dict[str, Any] = {"host": conn.host or "localhost", "user": conn.login, "password": conn.password or "",
                                  "database": self.schema or conn.schema or None, "port": int(conn.port or 3306),
                                  "charset": extra.get("charset", "utf8mb4")}
        if extra.get("unix_socket"):
            params["unix_socket"] = extra["unix_socket"]
        if extra.get("ssl"):
            params["ssl"] = extra["ssl"]
        return pymysql.connect(**{k: v for k, v in params.items() if v is not None})


class MySqlOperator(SQLExecuteQueryOperator):
    """Deprecated in the provider (use SQLExecuteQueryOperator), still found in many DAGs."""

    def __init__(self, *, mysql_conn_id: str = "mysql_default", database: str | None = None, **kwargs: Any):
        super().__init__(conn_id=mysql_conn_id, database=database, **kwargs)
