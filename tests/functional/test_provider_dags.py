"""The provider DAGs (tests/conformance/provider_dags) against real services — a scripted HTTP server,
SQLite, and a PostgreSQL cluster started here as a non-root user (if it cannot start, these tests FAIL) —
end in the states real Airflow 3 and its providers recorded (provider_expected.json), both through
`levante dags test` and through trigger -> SQS -> worker under moto."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT / "tests" / "conformance"
sys.path.insert(0, str(CONFORMANCE))

import provider_services as services  # noqa: E402

DAGS = CONFORMANCE / "provider_dags"
EXPECTED = json.loads((CONFORMANCE / "provider_expected.json").read_text())["dags"]


@pytest.fixture(scope="module")
def postgres() -> Iterator[services.PostgresServer]:
    with services.PostgresServer() as server:  # raises (the test errors) when PostgreSQL cannot start
        yield server


@pytest.fixture
def service_env(postgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    with services.ScriptedHttpServer() as http:  # fresh per test: the endpoints count their hits
        env = services.connection_env(http_port=http.port, sqlite_path=str(tmp_path / "db.sqlite"),
                                      postgres_uri=postgres.uri)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield env


def _expected(dag_id: str) -> dict[str, tuple[str, int]]:
    return {task_id: (ti["state"], ti["try_number"]) for task_id, ti in EXPECTED[dag_id]["task_instances"].items()}


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_dags_test_matches_airflow(service_env, dag_id: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "chalicelib.cli", "dags", "test", dag_id, "--dags-folder", str(DAGS),
                           "--output", "json", "--no-retry-wait", "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, **service_env})
    payload = json.loads(proc.stdout)
    got = {ti["task_id"]: (ti["state"], ti["try_number"]) for ti in payload["task_instances"]}
    assert got == _expected(dag_id), proc.stderr[-3000:]
    assert payload["state"] == EXPECTED[dag_id]["state"]


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_distributed_run_matches_airflow(service_env, backend, dag_id: str) -> None:
    from tests.functional.harness import Stack

    stack = Stack(backend, DAGS)
    stack.sync()
    run = stack.trigger(dag_id)
    stack.drain()
    assert stack.states(dag_id, run.run_id) == _expected(dag_id)
    assert backend.runs.get(dag_id, run.run_id).state.value == EXPECTED[dag_id]["state"]


def test_mysql_dag_on_a_real_mariadb_matches_the_postgres_recording(tmp_path: Path) -> None:
    """The same DAG on MariaDB through PyMySQL (MySqlHook); its expectation is Airflow's for sql_postgres."""
    with services.MariaDbServer() as mariadb:  # raises (the test fails) when MariaDB cannot start
        env = {**os.environ, **services.connection_env(mysql_uri=mariadb.uri)}
        proc = subprocess.run([sys.executable, "-m", "chalicelib.cli", "dags", "test", "sql_mysql", "--dags-folder",
                               str(CONFORMANCE / "mysql_dags"), "--output", "json", "--no-retry-wait", "--quiet"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    payload = json.loads(proc.stdout)
    got = {ti["task_id"]: (ti["state"], ti["try_number"]) for ti in payload["task_instances"]}
    assert got == _expected("sql_postgres"), proc.stderr[-3000:]
