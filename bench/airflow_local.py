"""Apache Airflow 3.3 with its LocalExecutor, started from a separate venv for bench/throughput.py: a fresh
AIRFLOW_HOME in a temp directory, SQLite (the default database, which `airflow standalone` also runs
LocalExecutor on), `airflow db migrate`, then `airflow api-server` (tasks report to its Execution API),
`airflow dag-processor` and `airflow scheduler` as subprocesses; `airflow dags trigger` starts the run.

Times come from Airflow's metadata DB (read-only SQLite reads): the dag_run's queued_at/start_date/end_date
and the task_instance rows' start_date/end_date, the same columns Airflow's UI shows.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.devstack.process_groups import ProcessGroups, free_port, http_answers, wait_until


def airflow_env(home: Path, dags: Path, port: int, *, parallelism: int, max_active_tasks: int) -> dict[str, str]:
    """The configuration, all as AIRFLOW__SECTION__KEY variables (nothing written to airflow.cfg by hand)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "LEVANTE_", "AWS_", "VIRTUAL_ENV"))}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        # 4 executor worker processes, like `levante worker --concurrency 4`
        "AIRFLOW__CORE__PARALLELISM": str(parallelism),
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(max_active_tasks),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(24),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(24),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",  # find the new file soon (default 300 s)
        "PYTHONUNBUFFERED": "1",
    })
    return env


class AirflowStack:
    def __init__(self, python: str, root: Path, dags: Path, *, parallelism: int, max_active_tasks: int):
        self.python = python
        self.home = root / "airflow_home"
        self.home.mkdir()
        self.port = free_port()
        self.env = airflow_env(self.home, dags, self.port, parallelism=parallelism, max_active_tasks=max_active_tasks)
        self.processes = ProcessGroups(root)
        self.db = self.home / "airflow.db"

    def airflow(self, *args: str, timeout: float = 600) -> str:
        proc = subprocess.run([self.python, "-m", "airflow", *args], env=self.env, cwd=self.home,
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        return proc.stdout

    def start(self) -> None:
        self.airflow("db", "migrate")
        for name, args in (("airflow-api-server", ["api-server", "--port", str(self.port), "--host", "127.0.0.1"]),
                           ("airflow-dag-processor", ["dag-processor"]), ("airflow-scheduler", ["scheduler"])):
            self.processes.start(name, [self.python, "-m", "airflow", *args], env=self.env, cwd=self.home)
        wait_until(lambda: http_answers(f"http://127.0.0.1:{self.port}/api/v2/monitor/health"), timeout=180,
                   what="airflow api-server", interval=0.5, check=self.processes.assert_running)

    def stop(self) -> list[int]:
        return self.processes.kill_all(grace=10)

    def query(self, sql: str, *params: Any) -> list[tuple]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30) as conn:
            return conn.execute(sql, params).fetchall()

    def wait_for_dag(self, dag_id: str, timeout: float) -> None:
        """Until the DAG processor has serialized the file and the DAG is active and unpaused."""
        def ready() -> bool:
            rows = self.query("SELECT d.is_paused FROM dag d JOIN serialized_dag s ON s.dag_id = d.dag_id"
                              " WHERE d.dag_id = ? AND NOT d.is_stale", dag_id)
            return bool(rows) and not rows[0][0]

        wait_until(ready, timeout=timeout, what=f"Airflow DAG {dag_id}", interval=1, check=self.processes.assert_running)

    def run(self, dag_id: str, run_id: str, timeout: float) -> dict[str, Any]:
        """Trigger one run with `airflow dags trigger`, wait for it to finish, read its times."""
        cli_started = time.time()
        self.airflow("dags", "trigger", dag_id, "--run-id", run_id)
        cli_s = time.time() - cli_started

        def finished() -> bool:
            rows = self.query("SELECT state FROM dag_run WHERE dag_id = ? AND run_id = ?", dag_id, run_id)
            return bool(rows) and rows[0][0] in ("success", "failed")

        wait_until(finished, timeout=timeout, what=f"Airflow run {run_id}", interval=1,
                   check=self.processes.assert_running)
        observed = time.time()
        state, queued, started, ended = self.query(
            "SELECT state, queued_at, start_date, end_date FROM dag_run WHERE dag_id = ? AND run_id = ?",
            dag_id, run_id)[0]
        tis = self.query("SELECT task_id, state, start_date, end_date FROM task_instance"
                         " WHERE dag_id = ? AND run_id = ?", dag_id, run_id)
        return {"state": state, "cli_trigger_s": cli_s, "observed_end": observed,
                "queued_at": parse_db_date(queued), "start_date": parse_db_date(started),
                "end_date": parse_db_date(ended),
                "task_instances": [(t, s, parse_db_date(a), parse_db_date(b)) for t, s, a, b in tis]}


def parse_db_date(value: str | None) -> datetime | None:
    """Airflow's UtcDateTime columns as SQLite stores them ('YYYY-MM-DD HH:MM:SS.ffffff', UTC)."""
    if value is None:
        return None
    when = datetime.fromisoformat(value.replace(" ", "T"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)
