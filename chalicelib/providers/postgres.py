"""apache-airflow-providers-postgres: PostgresHook on psycopg 3 (the `postgres` extra) and PostgresOperator."""

from __future__ import annotations

from typing import Any

from chalicelib.providers import require
from chalicelib.providers.common_sql.hooks import DbApiHook
from chalicelib.providers.common_sql.operators import SQLExecuteQueryOperator

# Extra fields the provider passes to the driver as connection parameters.
_DRIVER_EXTRAS = ("sslmode", "sslcert", "sslkey", "sslrootcert", "sslcrl", "application_name", "keepalives_idle",
                  "connect_timeout", "options", "target_session_attrs")


class PostgresHook(DbApiHook):
    conn_name_attr = "postgres_conn_id"
    default_conn_name = "postgres_default"
    conn_type = "postgres"
    hook_name = "Postgres"
    supports_executemany = True

    def __init__(self, *args: Any, options: str | None = None, enable_log_db_messages: bool = False, **kwargs: Any):
        if "database" in kwargs:
            kwargs["schema"] = kwargs.pop("database")
        super().__init__(*args, **kwargs)
        self.options = options

    @property
    def database(self) -> str | None:
        return self.schema

    def get_conn(self) -> Any:
        psycopg = require("psycopg", "postgres", "PostgresHook")
        conn = self.connection
        params: dict[str, Any] = {"host": conn.host, "user": conn.login, "password": conn.password,
                                  "dbname": self.schema or conn.schema or None, "port": conn.port}
        for key, value in conn.extra_dejson.items():
            if key in _DRIVER_EXTRAS:
                params[key] = value
        if self.options:
            params["options"] = self.options
        return psycopg.connect(**{k: v for k, v in params.items() if v is not None})

    def get_uri(self) -> str:
        uri = super().get_uri().replace("postgres://", "postgresql://", 1)
        return uri


class PostgresOperator(SQLExecuteQueryOperator):
    """Deprecated in the provider (use SQLExecuteQueryOperator), still found in many DAGs."""

    def __init__(self, *, postgres_conn_id: str = "postgres_default", database: str | None = None,
                 runtime_parameters: dict | None = None, **kwargs: Any):
        if runtime_parameters:
            kwargs.setdefault("hook_params", {})["options"] = " ".join(
                f"-c {key}={value}" for key, value in runtime_parameters.items())
        super().__init__(conn_id=postgres_conn_id, database=database, **kwargs)
