"""common.sql's data-quality operators against SQLite: column checks (bounds, tolerance, a partition clause),
table checks, and the interval check of one day's metrics against a week before; passing and failing ones."""

import pendulum
from airflow.providers.common.sql.operators.sql import (
    SQLColumnCheckOperator,
    SQLExecuteQueryOperator,
    SQLIntervalCheckOperator,
    SQLTableCheckOperator,
)
from airflow.sdk import DAG

CONN = "svc_sqlite"

with DAG("sql_quality", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False) as dag:
    # Rows for the run's day ({{ ds }}) and for a week before it, so the interval check has both sides.
    setup = SQLExecuteQueryOperator(
        task_id="setup", conn_id=CONN, split_statements=True,
        sql="DROP TABLE IF EXISTS orders; CREATE TABLE orders (id INTEGER, amount INTEGER, region TEXT, ds TEXT); "
            "INSERT INTO orders VALUES (1, 10, 'eu', '{{ ds }}'), (2, 20, 'eu', '{{ ds }}'), (3, NULL, 'us', '{{ ds }}'), "
            "(4, 12, 'us', '{{ macros.ds_add(ds, -7) }}'), (5, 18, 'eu', '{{ macros.ds_add(ds, -7) }}');")
    columns_ok = SQLColumnCheckOperator(
        task_id="columns_ok", conn_id=CONN, table="orders",
        column_mapping={"id": {"null_check": {"equal_to": 0}, "unique_check": {"equal_to": 0},
                               "distinct_check": {"geq_to": 5}},
                        "amount": {"min": {"geq_to": 10}, "max": {"less_than": 25, "greater_than": 15},
                                   "null_check": {"leq_to": 1}}})
    columns_tolerance = SQLColumnCheckOperator(
        task_id="columns_tolerance", conn_id=CONN, table="orders", partition_clause="region = 'eu'",
        column_mapping={"amount": {"max": {"equal_to": 19, "tolerance": 0.1},
                                   "min": {"equal_to": 10, "partition_clause": "amount > 0"}}})
    columns_fail = SQLColumnCheckOperator(
        task_id="columns_fail", conn_id=CONN, table="orders",
        column_mapping={"amount": {"null_check": {"equal_to": 0}, "max": {"leq_to": 100}}})
    table_ok = SQLTableCheckOperator(
        task_id="table_ok", conn_id=CONN, table="orders",
        checks={"row_count": {"check_statement": "COUNT(*) = 5"},
                "positive": {"check_statement": "amount > 0", "partition_clause": "amount IS NOT NULL"}})
    table_fail = SQLTableCheckOperator(
        task_id="table_fail", conn_id=CONN, table="orders", partition_clause="region = 'us'",
        checks={"row_count": {"check_statement": "COUNT(*) = 2"}, "small": {"check_statement": "amount < 11"}})
    interval_ok = SQLIntervalCheckOperator(
        task_id="interval_ok", conn_id=CONN, table="orders", days_back=7,
        metrics_thresholds={"COUNT(*)": 2, "SUM(amount)": 1.5})
    interval_fail = SQLIntervalCheckOperator(
        task_id="interval_fail", conn_id=CONN, table="orders", days_back=-7, ratio_formula="relative_diff",
        metrics_thresholds={"COUNT(*)": 0.2, "MAX(amount)": 0.5})

    setup >> [columns_ok, columns_tolerance, columns_fail, table_ok, table_fail, interval_ok, interval_fail]
