"""The data-quality operators fail for the checks that do not hold, and say which (against a real SQLite file);
the DAG-level states are compared with Airflow's in tests/conformance/provider_dags/sql_quality.py."""

from __future__ import annotations

import sqlite3
from urllib.parse import quote

import pytest

from chalicelib.providers.common_sql.quality import (
    SQLColumnCheckOperator,
    SQLIntervalCheckOperator,
    SQLTableCheckOperator,
)
from chalicelib.sdk.exceptions import AirflowException


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "q.db"
    with sqlite3.connect(path) as conn:
        conn.executescript("CREATE TABLE t (id INTEGER, amount INTEGER, ds TEXT);"
                           "INSERT INTO t VALUES (1, 10, '2024-01-08'), (2, NULL, '2024-01-08'), (3, 30, '2024-01-01');")
    monkeypatch.setenv("AIRFLOW_CONN_Q", f"sqlite://{quote(str(path), safe='')}")
    return "q"


def test_column_checks_name_each_failed_check(db):
    op = SQLColumnCheckOperator(task_id="c", conn_id=db, table="t", column_mapping={
        "id": {"unique_check": {"equal_to": 0}},
        "amount": {"null_check": {"equal_to": 0}, "max": {"equal_to": 29, "tolerance": 0.05}}})
    with pytest.raises(AirflowException) as failure:
        op.execute({})
    message = str(failure.value)
    assert "Check: null_check" in message and "Check: unique_check" not in message
    assert "Check: max" not in message  # 30 is within 5 % of 29
    assert op.column_mapping["amount"]["null_check"] == {"equal_to": 0, "result": 1, "success": False}


def test_column_checks_are_validated_when_the_dag_is_parsed():
    with pytest.raises(AirflowException, match="Invalid column check: median"):
        SQLColumnCheckOperator(task_id="c", table="t", column_mapping={"id": {"median": {"equal_to": 1}}})
    with pytest.raises(ValueError, match="Only supply one of greater_than or geq_to"):
        SQLColumnCheckOperator(task_id="c", table="t", column_mapping={"id": {"min": {"geq_to": 1, "greater_than": 0}}})
    with pytest.raises(ValueError, match="strictly less than"):
        SQLColumnCheckOperator(task_id="c", table="t", column_mapping={"id": {"min": {"greater_than": 2, "less_than": 2}}})
    with pytest.raises(ValueError, match="semicolons"):
        SQLColumnCheckOperator(task_id="c", table="t", partition_clause="1; DROP TABLE t",
                               column_mapping={"id": {"min": {"geq_to": 1}}})


def test_table_checks_hold_on_every_row_of_the_partition(db):
    ok = SQLTableCheckOperator(task_id="ok", conn_id=db, table="t", partition_clause="amount IS NOT NULL",
                               checks={"positive": {"check_statement": "amount > 0"}})
    ok.execute({})
    bad = SQLTableCheckOperator(task_id="bad", conn_id=db, table="t",
                                checks={"count": {"check_statement": "COUNT(*) = 3"}, "small": {"check_statement": "id < 3"}})
    with pytest.raises(AirflowException) as failure:
        bad.execute({})
    assert "Check: small" in str(failure.value) and "Check: count" not in str(failure.value)


def test_interval_check_compares_the_day_with_days_back(db):
    from chalicelib.sdk.macros import ds_add

    op = SQLIntervalCheckOperator(task_id="i", conn_id=db, table="t", days_back=7,
                                  metrics_thresholds={"COUNT(*)": 1.5, "SUM(amount)": 4})
    assert op.sql2.endswith("'{{ macros.ds_add(ds, -7) }}'")
    op.sql1, op.sql2 = (s.replace("{{ ds }}", "2024-01-08").replace("{{ macros.ds_add(ds, -7) }}",
                                                                   ds_add("2024-01-08", -7)) for s in (op.sql1, op.sql2))
    with pytest.raises(AirflowException) as failure:  # COUNT: 2 vs 1 is a ratio of 2, over 1.5
        op.execute({})
    assert "COUNT(*)" in str(failure.value) and "SUM(amount)" not in str(failure.value)
