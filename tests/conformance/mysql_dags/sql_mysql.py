"""common.sql against MariaDB (PyMySQL): sql_postgres.py with MySQL's SQL. Not recorded under Airflow (its MySQL
provider needs mysqlclient, a C build); the test expects the states Airflow recorded for sql_postgres."""

import pendulum
from airflow.providers.common.sql.hooks.handlers import fetch_one_handler
from airflow.providers.common.sql.operators.sql import (
    BranchSQLOperator,
    SQLCheckOperator,
    SQLExecuteQueryOperator,
    SQLThresholdCheckOperator,
    SQLValueCheckOperator,
)
from airflow.providers.common.sql.sensors.sql import SqlSensor
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task

CONN = "svc_mysql"

with DAG("sql_mysql", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False) as dag:
    setup = SQLExecuteQueryOperator(
        task_id="setup", conn_id=CONN, split_statements=True,
        sql="DROP TABLE IF EXISTS fruit; CREATE TABLE fruit (id INTEGER, name TEXT, qty INTEGER); "
            "INSERT INTO fruit VALUES (1, 'apple', 5), (2, 'pear; ripe', 7), (3, 'plum', 0);")
    all_rows = SQLExecuteQueryOperator(task_id="all_rows", conn_id=CONN, sql="SELECT id, name FROM fruit ORDER BY id")
    one_row = SQLExecuteQueryOperator(task_id="one_row", conn_id=CONN, handler=fetch_one_handler,
                                      sql="SELECT name, qty FROM fruit WHERE id = %s", parameters=[2])
    every = SQLExecuteQueryOperator(task_id="every_statement", conn_id=CONN, split_statements=True, return_last=False,
                                    sql="SELECT COUNT(*) FROM fruit; SELECT MAX(qty) FROM fruit")
    last = SQLExecuteQueryOperator(task_id="last_statement", conn_id=CONN, split_statements=True,
                                   sql="SELECT 1; SELECT CAST(SUM(qty) AS SIGNED) FROM fruit")
    listed = SQLExecuteQueryOperator(task_id="list_of_sql", conn_id=CONN,
                                     sql=["SELECT name FROM fruit WHERE id = 1", "SELECT name FROM fruit WHERE id = 3"])
    check = SQLCheckOperator(task_id="check_rows", conn_id=CONN, sql="SELECT COUNT(*), MIN(id) FROM fruit")
    SQLCheckOperator(task_id="check_zero_fails", conn_id=CONN, sql="SELECT qty FROM fruit WHERE id = 3")
    value = SQLValueCheckOperator(task_id="value_check", conn_id=CONN, sql="SELECT SUM(qty) FROM fruit",
                                  pass_value=11, tolerance=0.1)
    SQLValueCheckOperator(task_id="value_check_fails", conn_id=CONN, sql="SELECT SUM(qty) FROM fruit", pass_value=20)
    threshold = SQLThresholdCheckOperator(task_id="threshold", conn_id=CONN, sql="SELECT MAX(qty) FROM fruit",
                                          min_threshold=1, max_threshold="SELECT 10")
    branch = BranchSQLOperator(task_id="branch", conn_id=CONN, sql="SELECT COUNT(*) > 2 FROM fruit",
                               follow_task_ids_if_true="many", follow_task_ids_if_false="few")
    many, few = EmptyOperator(task_id="many"), EmptyOperator(task_id="few")
    sensor = SqlSensor(task_id="wait_rows", conn_id=CONN, sql="SELECT COUNT(*) FROM fruit", poke_interval=0.2,
                       timeout=30, success=lambda n: n == 3)

    @task
    def verify(rows, one, each, last_one, listed_rows):
        assert [list(r) for r in rows] == [[1, "apple"], [2, "pear; ripe"], [3, "plum"]], rows
        assert list(one) == ["pear; ripe", 7], one
        assert [[list(r) for r in result] for result in each] == [[[3]], [[7]]], each
        assert [list(r) for r in last_one] == [[12]], last_one
        assert [[list(r) for r in result] for result in listed_rows] == [[["apple"]], [["plum"]]], listed_rows
        print("row types:", type(rows).__name__, type(rows[0]).__name__, type(one).__name__)

    setup >> [all_rows, one_row, every, last, listed, check, value, threshold, branch, sensor]
    branch >> [many, few]
    verify(all_rows.output, one_row.output, every.output, last.output, listed.output)
