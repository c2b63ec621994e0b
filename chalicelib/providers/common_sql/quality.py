"""common.sql's data-quality operators: column checks, table checks and the interval (day over day) check.

Each builds one SQL query from its declarative checks when the DAG is parsed (so a bad check is an import
error naming it, as in Airflow), runs it in `execute`, and fails the task with a message listing every
failed check. The messages follow apache-airflow-providers-common-sql's, which users' alerting may match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.providers.common_sql.operators import BaseSQLOperator, _parse_boolean
from chalicelib.sdk.exceptions import AirflowException, AirflowFailException

BOUNDS = ("greater_than", "geq_to", "less_than", "leq_to", "equal_to")


def _partition_clause(clause: str | None) -> str | None:
    if clause is not None and ";" in clause:
        raise ValueError("Invalid partition_clause: semicolons (;) not allowed.")
    return clause


def _where(operator_clause: str | None, check: dict[str, Any]) -> str:
    """The operator's partition clause and the check's own, both applying when both are given."""
    parts = [p for p in (operator_clause, check.get("partition_clause")) if p]
    return f"WHERE {' AND '.join(parts)}" if parts else ""


class SQLColumnCheckOperator(BaseSQLOperator):
    """column_mapping = {"id": {"null_check": {"equal_to": 0}, "min": {"geq_to": 1, "tolerance": 0.1}}}"""

    template_fields = ("table", "partition_clause", "sql", "conn_id", "database", "hook_params")
    ui_color = "#fff7e6"
    # The statistic each check computes over the column.
    column_checks = {
        "null_check": "SUM(CASE WHEN {column} IS NULL THEN 1 ELSE 0 END)",
        "distinct_check": "COUNT(DISTINCT({column}))",
        "unique_check": "COUNT({column}) - COUNT(DISTINCT({column}))",
        "min": "MIN({column})",
        "max": "MAX({column})",
    }

    def __init__(self, *, table: str, column_mapping: dict[str, dict[str, Any]], partition_clause: str | None = None,
                 conn_id: str | None = None, database: str | None = None, accept_none: bool = True, **kwargs: Any):
        super().__init__(conn_id=conn_id, database=database, **kwargs)
        self.table = table
        self.column_mapping = column_mapping
        self.partition_clause = _partition_clause(partition_clause)
        self.accept_none = accept_none
        selects = []
        for column, checks in column_mapping.items():
            for check, bounds in checks.items():
                self._validate(check, bounds)
                statistic = self.column_checks[check].format(column=column)
                selects.append(f"SELECT '{column}' AS col_name, '{check}' AS check_type, {column}_{check} AS check_result "
                               f"FROM (SELECT {statistic} AS {column}_{check} FROM {table} "
                               f"{_where(self.partition_clause, bounds)}) AS sq")
        self.sql = f"SELECT col_name, check_type, check_result FROM ({' UNION ALL '.join(selects)}) AS check_columns"

    def execute(self, context: dict[str, Any]) -> None:
        records = self.get_db_hook().get_records(self.sql)
        if not records:
            self._raise_exception(f"The following query returned zero rows: {self.sql}")
        self.log.info("Record: %s", records)
        for column, check, result in records:
            bounds = self.column_mapping[column][check]
            bounds["result"] = result
            bounds["success"] = self._matches(bounds, result)
        failed = [f"Column: {column}\n\tCheck: {check},\n\tCheck Values: {bounds}\n"
                  for column, checks in self.column_mapping.items()
                  for check, bounds in checks.items() if not bounds.get("success")]
        if failed:
            self._raise_exception(f"Test failed.\nResults:\n{records!s}\nThe following tests have failed:\n{''.join(failed)}")
        self.log.info("All tests have passed")

    def _matches(self, bounds: dict[str, Any], value: Any) -> bool:
        if value is None and self.accept_none:
            value = 0
        tolerance = bounds.get("tolerance")

        def widen(expected: float, sign: int) -> float:  # a tolerance widens each bound by |expected| * tolerance
            return expected + sign * abs(expected) * tolerance if tolerance is not None else expected

        ok = True
        if "geq_to" in bounds:
            ok = value >= widen(bounds["geq_to"], -1)
        elif "greater_than" in bounds:
            ok = value > widen(bounds["greater_than"], -1)
        if "leq_to" in bounds:
            ok = ok and value <= widen(bounds["leq_to"], 1)
        elif "less_than" in bounds:
            ok = ok and value < widen(bounds["less_than"], 1)
        if "equal_to" in bounds:
            expected = bounds["equal_to"]
            ok = ok and (value == expected if tolerance is None else widen(expected, -1) <= value <= widen(expected, 1))
        return ok

    def _validate(self, check: str, bounds: dict[str, Any]) -> None:
        if check not in self.column_checks:
            raise AirflowException(f"Invalid column check: {check}.")
        given = {name for name in BOUNDS if name in bounds}
        if not given:
            raise ValueError("Please provide one or more of: less_than, leq_to, greater_than, geq_to, or equal_to in "
                             "the check's dict.")
        if {"greater_than", "geq_to"} <= given:
            raise ValueError("Only supply one of greater_than or geq_to.")
        if {"less_than", "leq_to"} <= given:
            raise ValueError("Only supply one of less_than or leq_to.")
        if "equal_to" in given and len(given) > 1:
            raise ValueError("equal_to cannot be passed with a greater or less than function. To specify 'greater "
                             "than or equal to' or 'less than or equal to', use geq_to or leq_to.")
        low_name = "greater_than" if "greater_than" in given else "geq_to" if "geq_to" in given else None
        high_name = "less_than" if "less_than" in given else "leq_to" if "leq_to" in given else None
        if low_name and high_name:
            low, high = bounds[low_name], bounds[high_name]
            both_inclusive = low_name == "geq_to" and high_name == "leq_to"
            if low > high or (low == high and not both_inclusive):
                raise ValueError(f"{low_name} should be {'less than or equal to' if both_inclusive else 'strictly less than'}"
                                 f" {high_name}.")


class SQLTableCheckOperator(BaseSQLOperator):
    """checks = {"row_count_check": {"check_statement": "COUNT(*) = 3"}}: each statement must hold for every row."""

    template_fields = ("table", "partition_clause", "sql", "conn_id", "database", "hook_params")
    ui_color = "#fff7e6"

    def __init__(self, *, table: str, checks: dict[str, dict[str, Any]], partition_clause: str | None = None,
                 conn_id: str | None = None, database: str | None = None, accept_none: bool = False, **kwargs: Any):
        super().__init__(conn_id=conn_id, database=database, **kwargs)
        self.table = table
        self.checks = checks
        self.partition_clause = _partition_clause(partition_clause)
        self.accept_none = accept_none
        # MIN over "1 if the statement holds else 0": a check passes only if it held on every row.
        selects = [f"SELECT '{name}' AS check_name, MIN({name}) AS check_result FROM (SELECT CASE WHEN "
                   f"{check['check_statement']} THEN 1 ELSE 0 END AS {name} FROM {table} "
                   f"{_where(self.partition_clause, check)}) AS sq"
                   for name, check in checks.items()]
        self.sql = f"SELECT check_name, check_result FROM ({' UNION ALL '.join(selects)}) AS check_table"

    def execute(self, context: dict[str, Any]) -> None:
        records = self.get_db_hook().get_records(self.sql)
        if not records:
            if self.accept_none:
                self.log.warning("No records found for table: %s, but accept_none=True, therefore, no tests are being "
                                 "marked as failed.", self.table)
                return
            self._raise_exception(f"The following query returned zero rows: {self.sql}")
        self.log.info("Record:\n%s", records)
        for name, result in records:
            self.checks[name]["result"] = str(result)
            self.checks[name]["success"] = _parse_boolean(str(result))
        failed = [f"\tCheck: {name},\n\tCheck Values: {check}\n"
                  for name, check in self.checks.items() if not check.get("success")]
        if failed:
            self._raise_exception(f"Test failed.\nQuery:\n{self.sql}\nResults:\n{records!s}\n"
                                  f"The following tests have failed:\n{', '.join(failed)}")
        self.log.info("All tests have passed")


RATIOS: dict[str, Callable[[float, float], float]] = {
    "max_over_min": lambda current, past: max(current, past) / min(current, past),
    "relative_diff": lambda current, past: abs(current - past) / past,
}


class SQLIntervalCheckOperator(BaseSQLOperator):
    """Each metric today (`ds`) against `days_back` days ago: the ratio must stay under its threshold."""

    template_fields = ("sql1", "sql2", "conn_id", "database", "hook_params")
    ui_color = "#fff7e6"
    ratio_formulas = RATIOS

    def __init__(self, *, table: str, metrics_thresholds: dict[str, float], date_filter_column: str | None = "ds",
                 days_back: int = -7, ratio_formula: str | None = "max_over_min", ignore_zero: bool = True,
                 conn_id: str | None = None, database: str | None = None, **kwargs: Any):
        super().__init__(conn_id=conn_id, database=database, **kwargs)
        if ratio_formula not in RATIOS:
            raise AirflowFailException(f"Invalid diff_method: {ratio_formula}. Supported diff methods are: "
                                       f"{RATIOS}")
        self.ratio_formula = ratio_formula
        self.ignore_zero = ignore_zero
        self.table = table
        self.metrics_thresholds = metrics_thresholds
        self.metrics_sorted = sorted(metrics_thresholds)
        self.date_filter_column = date_filter_column
        self.days_back = -abs(days_back)
        select = f"SELECT {', '.join(self.metrics_sorted)} FROM {table} WHERE {date_filter_column}="
        self.sql1 = select + "'{{ ds }}'"
        self.sql2 = select + "'{{ macros.ds_add(ds, " + str(self.days_back) + ") }}'"

    def execute(self, context: dict[str, Any]) -> None:
        hook = self.get_db_hook()
        self.log.info("Using ratio formula: %s", self.ratio_formula)
        past_row = hook.get_first(self.sql2)
        current_row = hook.get_first(self.sql1)
        if not past_row:
            self._raise_exception(f"The following query returned zero rows: {self.sql2}")
        if not current_row:
            self._raise_exception(f"The following query returned zero rows: {self.sql1}")
        results = {metric: self._compare(metric, current, past)
                   for metric, current, past in zip(self.metrics_sorted, current_row, past_row, strict=False)}
        failed = [r for r in results.values() if not r["success"]]
        if failed:
            self.log.warning("The following %s tests out of %s failed:", len(failed), len(self.metrics_sorted))
            for result in failed:
                self.log.warning("'%s' check failed. %s is above %s", result["metric"], result["ratio"],
                                 result["threshold"])
            details = "; ".join(f"{r['metric']}: {r}" for r in sorted(failed, key=lambda r: r["metric"]))
            self._raise_exception(f"The following tests have failed:\n {details}")
        self.log.info("All tests have passed")

    def _compare(self, metric: str, current: Any, past: Any) -> dict[str, Any]:
        threshold = self.metrics_thresholds[metric]
        result = {"metric": metric, "current_metric": current, "past_metric": past, "threshold": threshold,
                  "ignore_zero": self.ignore_zero}
        if current == 0 or past == 0:  # no ratio: zero counts pass only when zeros are ignored
            result["ratio"], result["success"] = None, self.ignore_zero
        else:
            ratio = RATIOS[self.ratio_formula](current, past)
            result["ratio"], result["success"] = ratio, ratio < threshold
        self.log.info("Current metric for %s: %s\nPast metric for %s: %s\nRatio for %s: %s\nThreshold: %s\n",
                      metric, current, metric, past, metric, result["ratio"], threshold)
        return result
