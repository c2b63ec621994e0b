"""Provider import paths: Airflow 3 and Airflow 2 paths resolve; anything else names provider and operator;
a missing optional driver names the extra to install."""

from __future__ import annotations

import sys

import pytest

from chalicelib.loader import airflow_shim


@pytest.fixture(autouse=True)
def shim():
    airflow_shim.install()
    yield
    airflow_shim.forget_imported()


def test_provider_paths_resolve_to_levante() -> None:
    from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
    from airflow.providers.http.operators.http import HttpOperator, SimpleHttpOperator
    from airflow.providers.postgres.operators.postgres import PostgresOperator

    assert issubclass(SimpleHttpOperator, HttpOperator) and HttpOperator.__module__.startswith("chalicelib.providers")
    assert issubclass(PostgresOperator, SQLExecuteQueryOperator)


def test_unknown_operator_names_provider_and_operator() -> None:
    with pytest.raises(ImportError, match=r"'BigQueryInsertJobOperator' from the 'google' provider \(apache-airflow-providers-google"):
        from airflow.providers.google.cloud.operators.bigquery import BigQueryInsertJobOperator  # noqa: F401
    with pytest.raises(ImportError, match=r"'GlueJobOperator' from the 'amazon' provider"):
        from airflow.providers.amazon.aws.operators.glue import GlueJobOperator  # noqa: F401
    with pytest.raises(ImportError, match=r"'FancyOperator' from the 'common.sql' provider \(apache-airflow-providers-common-sql"):
        from airflow.providers.common.sql.operators.fancy import FancyOperator  # noqa: F401


def test_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.providers import MissingDriver
    from chalicelib.providers.postgres import PostgresHook

    monkeypatch.setitem(sys.modules, "psycopg", None)  # what Python does for a module that is not installed
    monkeypatch.setenv("AIRFLOW_CONN_PG", "postgres://u:p@localhost:1/db")
    with pytest.raises(MissingDriver, match=r"pip install 'levante\[postgres\]'"):
        PostgresHook(postgres_conn_id="pg").get_conn()
