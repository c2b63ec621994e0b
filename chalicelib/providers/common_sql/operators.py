"""The SQL operators of apache-airflow-providers-common-sql, with its results and error messages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from chalicelib.providers.common_sql.hooks import DbApiHook, fetch_all_handler, return_single_query_results
from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.connection import get_connection
from chalicelib.sdk.exceptions import AirflowException, AirflowFailException
from chalicelib.sdk.operators.python import BranchMixIn


def _float_if_possible(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _parse_boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("y", "yes", "t", "true", "on", "1"):
        return True
    if lowered in ("n", "no", "f", "false", "off", "0"):
        return False
    raise ValueError(f"{value!r} is not a boolean value")


class BaseSQLOperator(BaseOperator):
    conn_id_field = "conn_id"

    def __init__(self, *, conn_id: str | None = None, database: str | None = None,
                 hook_params: dict[str, Any] | None = None, retry_on_failure: bool = True, **kwargs: Any):
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self.database = database
        self.hook_params = hook_params or {}
        self.retry_on_failure = retry_on_failure

    def get_db_hook(self) -> DbApiHook:
        if not self.conn_id:
            raise AirflowException(f"task {self.task_id!r}: conn_id is required")
        hook = get_connection(self.conn_id).get_hook(hook_params=self.hook_params)
        if not isinstance(hook, DbApiHook):
            raise AirflowException(f"You are trying to use `common-sql` with {type(hook).__name__}, but its "
                                   "provider does not support it. Please upgrade the provider to a version that "
                                   "supports `common-sql`.")
        if self.database:
            hook.schema = self.database
        return hook

    def _raise_exception(self, message: str) -> None:
        if self.retry_on_failure:
            raise AirflowException(message)
        raise AirflowFailException(message)


class SQLExecuteQueryOperator(BaseSQLOperator):
    template_fields = ("sql", "parameters", "conn_id", "database", "hook_params")
    template_ext = (".sql", ".json")
    template_fields_renderers = {"sql": "sql", "parameters": "json"}
    ui_color = "#cdaaed"

    def __init__(self, *, sql: str | list[str], autocommit: bool = False, parameters: Mapping | Iterable | None = None,
                 handler: Callable[[Any], Any] = fetch_all_handler, output_processor: Callable | None = None,
                 conn_id: str | None = None, database: str | None = None, split_statements: bool | None = None,
                 return_last: bool = True, show_return_value_in_logs: bool = False,
                 requires_result_fetch: bool = False, **kwargs: Any):
        super().__init__(conn_id=conn_id, database=database, **kwargs)
        self.sql = sql
        self.autocommit = autocommit
        self.parameters = parameters
        self.handler = handler
        self._output_processor = output_processor or (lambda results, descriptions: results)
        self.split_statements = split_statements
        self.return_last = return_last
        self.show_return_value_in_logs = show_return_value_in_logs
        self.requires_result_fetch = requires_result_fetch

    def _process_output(self, results: list[Any], descriptions: list[Any]) -> Any:
        if self.show_return_value_in_logs:
            self.log.info("Operator output is: %s", results)
        return self._output_processor(results, descriptions)

    def execute(self, context: dict[str, Any]) -> Any:
        self.log.info("Executing: %s", self.sql)
        hook = self.get_db_hook()
        extra = {"split_statements": self.split_statements} if self.split_statements is not None else {}
        output = hook.run(sql=self.sql, autocommit=self.autocommit, parameters=self.parameters,
                          handler=self.handler if self.do_xcom_push or self.requires_result_fetch else None,
                          return_last=self.return_last, **extra)
        if not self.do_xcom_push:
            return None
        if return_single_query_results(self.sql, self.return_last, self.split_statements):
            return self._process_output([output], hook.descriptions)[-1]
        result = self._process_output(output, hook.descriptions)
        self.log.info("result: %s", result)
        return result


class SQLCheckOperator(BaseSQLOperator):
    template_fields = ("sql", "parameters")
    template_ext = (".hql", ".sql")
    ui_color = "#fff7e6"

    def __init__(self, *, sql: str, conn_id: str | None = None, database: str | None = None,
                 parameters: Iterable | Mapping | None = None, **kwargs: Any):
        super().__init__(conn_id=conn_id, database=database, **kwargs)
        self.sql = sql
        self.parameters = parameters

    def execute(self, context: dict[str, Any]) -> None:
        self.log.info("Executing SQL check: %s", self.sql)
        records = self.get_db_hook().get_first(self.sql, self.parameters)
        self.log.info("Record: %s", records)
        if not records:
            self._raise_exception(f"The following query returned zero rows: {self.sql}")
        elif not all(records):
            self._raise_exception(f"Test failed.\nQuery:\n{self.sql}\nResults:\n{records!s}")
        self.log.info("Success.")


class SQLValueCheckOperator(BaseSQLOperator):
    template_fields = ("sql", "pass_value")
    template_ext = (".hql", ".sql")
    ui_color = "#fff7e6"

    def __init__(self, *, sql: str, pass_value: Any, tolerance: Any = None, conn_id: str | None = None,
                 database: str | None = None, **kwargs: Any):
        super().__init__(conn_id=conn_id, database=database, **kwargs)
        self.sql = sql
        self.pass_value = str(pass_value)
        self.tol = None if tolerance is None else float(tolerance)
        self.has_tolerance = self.tol is not None

    def execute(self, context: dict[str, Any]) -> None:
        self.log.info("Executing SQL check: %s", self.sql)
        records = self.get_db_hook().get_first(self.sql)
        if not records:
            self._raise_exception(f"The following query returned zero rows: {self.sql}")
        expected = _float_if_possible(self.pass_value)
        tolerance = f"{self.tol:.1%}" if self.tol is not None else None
        message = (f"Test failed.\nPass value:{expected}\nTolerance:{tolerance}\nQuery:\n{self.sql}\n"
                   f"Results:\n{records!s}")
        if isinstance(expected, float):
            try:
                numbers = [float(record) for record in records]
            except (ValueError, TypeError):
                raise AirflowException(f"Converting a result to float failed.\n{message}") from None
            if self.tol is not None:
                tests = [expected * (1 - self.tol) <= n <= expected * (1 + self.tol) for n in numbers]
            else:
                tests = [n == expected for n in numbers]
        else:
            tests = [str(record) == expected for record in records]
        if not all(tests):
            self._raise_exception(message)


class SQLThresholdCheckOperator(BaseSQLOperator):
    template_fields = ("sql", "min_threshold", "max_threshold")
    template_ext = (".hql", ".sql")

    def __init__(self, *, sql: str, min_threshold: Any, max_threshold: Any, conn_id: str | None = None,
                 database: str | None = None, **kwargs: Any):
        super().__init__(conn_id=conn_id, database=database, **kwargs)
        self.sql = sql
        self.min_threshold = _float_if_possible(min_threshold)
        self.max_threshold = _float_if_possible(max_threshold)

    def execute(self, context: dict[str, Any]) -> None:
        hook = self.get_db_hook()
        first = hook.get_first(self.sql)
        if not first:
            self._raise_exception(f"The following query returned zero rows: {self.sql}")
        result = first[0]
        lower = self.min_threshold if isinstance(self.min_threshold, float) else hook.get_first(self.min_threshold)[0]
        upper = self.max_threshold if isinstance(self.max_threshold, float) else hook.get_first(self.max_threshold)[0]
        within = lower <= result <= upper
        self.log.info("Log from %s:\nresult=%s, min_threshold=%s, max_threshold=%s, within_threshold=%s",
                      self.task_id, result, lower, upper, within)
        if not within:
            self._raise_exception(
                f'Threshold Check: "{self.task_id}" failed.\nDAG: {self.dag_id}\nTask_id: {self.task_id}\n'
                f"Check description: None\nSQL: {self.sql}\nResult: {round(result, 2)} is not within thresholds "
                f"{lower} and {upper}")
        self.log.info("Test %s Successful.", self.task_id)


class BranchSQLOperator(BranchMixIn, BaseSQLOperator):
    template_fields = ("sql",)
    template_ext = (".sql",)
    ui_color = "#a22034"
    ui_fgcolor = "#F7F7F7"

    def __init__(self, *, sql: str, follow_task_ids_if_true: str | list[str], follow_task_ids_if_false: str | list[str],
                 conn_id: str = "default_conn_id", database: str | None = None,
                 parameters: Iterable | Mapping | None = None, **kwargs: Any):
        super().__init__(conn_id=conn_id, database=database, **kwargs)
        self.sql = sql
        self.parameters = parameters
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false

    def execute(self, context: dict[str, Any]) -> Any:
        self.log.info("Executing: %s (with parameters %s) with connection: %s", self.sql, self.parameters, self.conn_id)
        record = self.get_db_hook().get_first(self.sql, self.parameters)
        if not record:
            raise AirflowException("No rows returned from sql query. Operator expected True or False return value.")
        if isinstance(record, list):
            result = record[0][0] if isinstance(record[0], list) else record[0]
        elif isinstance(record, tuple):
            result = record[0]
        else:
            result = record
        self.log.info("Query returns %s, type '%s'", result, type(result))
        try:
            if isinstance(result, bool):
                chosen = result
            elif isinstance(result, str):
                chosen = _parse_boolean(result)
            elif isinstance(result, int):
                chosen = bool(result)
            else:
                raise AirflowException(f"Unexpected query return result '{result}' type '{type(result)}'")
        except ValueError:
            raise AirflowException(f"Unexpected query return result '{result}' type '{type(result)}'") from None
        follow = self.follow_task_ids_if_true if chosen else self.follow_task_ids_if_false
        self.skip_all_except(context["ti"], follow)
        return None
