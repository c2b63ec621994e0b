"""DbApiHook: run SQL through a DB-API 2 driver with Airflow's result shapes (common-sql's ADR: a statement's
rows as a list of tuples, one result per statement, the last one alone when `return_last`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from typing import Any

from chalicelib.sdk.hooks.base import BaseHook


def fetch_all_handler(cursor: Any) -> list[tuple] | None:
    if not hasattr(cursor, "description"):
        raise RuntimeError("The database we interact with does not support DBAPI 2.0.")
    return cursor.fetchall() if cursor.description is not None else None


def fetch_one_handler(cursor: Any) -> tuple | None:
    if not hasattr(cursor, "description"):
        raise RuntimeError("The database we interact with does not support DBAPI 2.0.")
    return cursor.fetchone() if cursor.description is not None else None


def return_single_query_results(sql: str | Iterable[str], return_last: bool, split_statements: bool | None) -> bool:
    """Airflow's rule: one string of SQL gives one result unless it was split and every result is wanted."""
    return isinstance(sql, str) and (return_last or not split_statements)


def split_sql_string(sql: str, strip_semicolon: bool = False) -> list[str]:
    """Statements of a script, split at semicolons outside quotes and comments; empty ones dropped."""
    statements, current, quote, i = [], [], "", 0
    while i < len(sql):
        ch = sql[i]
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
            current.append(ch)
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = len(sql) if end == -1 else end
            current.append(sql[i:end])
            i = end
            continue
        elif ch == ";":
            statements.append("".join(current) + ("" if strip_semicolon else ";"))
            current = []
        else:
            current.append(ch)
        i += 1
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip().rstrip(";").strip() and not _only_comments(s)]


def _only_comments(statement: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in statement.rstrip(";").splitlines())


class DbApiHook(BaseHook):
    conn_name_attr = "conn_id"
    default_conn_name = "default_conn_id"
    supports_autocommit = True
    supports_executemany = False
    placeholder = "%s"
    strip_semicolon = False

    def __init__(self, *args: Any, schema: str | None = None, log_sql: bool = True, **kwargs: Any):
        super().__init__()
        if args:
            setattr(self, self.conn_name_attr, args[0])
        elif self.conn_name_attr in kwargs:
            setattr(self, self.conn_name_attr, kwargs.pop(self.conn_name_attr))
        elif not hasattr(self, self.conn_name_attr) or getattr(self, self.conn_name_attr, None) is None:
            setattr(self, self.conn_name_attr, self.default_conn_name)
        self.schema = schema
        self.log_sql = log_sql
        self.descriptions: list[Any] = []
        self._connection: Any = None

    def get_conn_id(self) -> str:
        return getattr(self, self.conn_name_attr)

    @property
    def connection(self) -> Any:
        if self._connection is None:
            self._connection = self.get_connection(self.get_conn_id())
        return self._connection

    @property
    def last_description(self) -> Any:
        return self.descriptions[-1] if self.descriptions else None

    def get_conn(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement get_conn()")

    def get_uri(self) -> str:
        return self.connection.get_uri()

    def set_autocommit(self, conn: Any, autocommit: bool) -> None:
        if self.supports_autocommit:
            conn.autocommit = autocommit

    def get_autocommit(self, conn: Any) -> bool:
        return bool(getattr(conn, "autocommit", False)) and self.supports_autocommit

    def split_sql_string(self, sql: str, strip_semicolon: bool = False) -> list[str]:
        return split_sql_string(sql, strip_semicolon)

    def run(self, sql: str | Iterable[str], autocommit: bool = False, parameters: Iterable | Mapping | None = None,
            handler: Callable[[Any], Any] | None = None, split_statements: bool = False,
            return_last: bool = True) -> Any:
        self.descriptions = []
        if isinstance(sql, str):
            statements = self.split_sql_string(sql, self.strip_semicolon) if split_statements else (
                [sql] if sql.strip() else [])
        else:
            statements = list(sql)
        if not statements:
            raise ValueError("List of SQL statements is empty")
        single = return_single_query_results(sql, return_last, split_statements)
        results, last, last_description = [], None, None
        with closing(self.get_conn()) as conn:
            self.set_autocommit(conn, autocommit)
            with closing(conn.cursor()) as cur:
                for statement in statements:
                    self._run_command(cur, statement, parameters)
                    if handler is not None:
                        result = self._make_common_data_structure(handler(cur))
                        if single:
                            last, last_description = result, cur.description
                        else:
                            results.append(result)
                            self.descriptions.append(cur.description)
            if not self.get_autocommit(conn):
                conn.commit()
        if handler is None:
            return None
        if single:
            self.descriptions = [last_description]
            return last
        return results

    def _run_command(self, cur: Any, sql: str, parameters: Any) -> None:
        if self.log_sql:
            self.log.info("Running statement: %s, parameters: %s", sql, parameters)
        if parameters:
            cur.execute(sql, parameters)
        else:
            cur.execute(sql)
        if cur.rowcount is not None and cur.rowcount >= 0:
            self.log.info("Rows affected: %s", cur.rowcount)

    def _make_common_data_structure(self, result: Any) -> Any:
        return result

    def get_records(self, sql: str | list[str], parameters: Any = None) -> Any:
        return self.run(sql=sql, parameters=parameters, handler=fetch_all_handler)

    def get_first(self, sql: str | list[str], parameters: Any = None) -> Any:
        return self.run(sql=sql, parameters=parameters, handler=fetch_one_handler)

    def get_pandas_df(self, sql: str, parameters: Any = None, **kwargs: Any) -> Any:
        from chalicelib.providers import require

        pandas = require("pandas", "pandas", "get_pandas_df")
        with closing(self.get_conn()) as conn:
            cur = conn.cursor()
            self._run_command(cur, sql, parameters)
            columns = [d[0] for d in cur.description or ()]
            return pandas.DataFrame.from_records(cur.fetchall(), columns=columns, **kwargs)

    get_df = get_pandas_df

    def insert_rows(self, table: str, rows: Iterable[Iterable[Any]], target_fields: Iterable[str] | None = None,
                    commit_every: int = 1000, replace: bool = False, *, executemany: bool = False,
                    **kwargs: Any) -> None:
        fields = list(target_fields) if target_fields else None
        count = 0
        with closing(self.get_conn()) as conn:
            self.set_autocommit(conn, False)
            with closing(conn.cursor()) as cur:
                for row in rows:
                    values = list(row)
                    cur.execute(self._generate_insert_sql(table, values, fields, replace, **kwargs), values)
                    count += 1
                    if commit_every and count % commit_every == 0:
                        conn.commit()
                        self.log.info("Loaded %s rows into %s so far", count, table)
            conn.commit()
        self.log.info("Done loading. Loaded a total of %s rows into %s", count, table)

    def _generate_insert_sql(self, table: str, values: list[Any], target_fields: list[str] | None, replace: bool,
                             **kwargs: Any) -> str:
        columns = f"({', '.join(target_fields)})" if target_fields else ""
        placeholders = ", ".join([self.placeholder] * len(values))
        verb = "REPLACE INTO" if replace else "INSERT INTO"
        return f"{verb} {table} {columns} VALUES ({placeholders})"

    def test_connection(self) -> tuple[bool, str]:
        try:
            self.get_first("select 1")
        except Exception as exc:  # noqa: BLE001 - reported as the test's outcome
            return False, str(exc)
        return True, "Connection successfully tested"
