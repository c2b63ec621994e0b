"""`levante dags state|list-runs|next-execution|backfill` and `tasks states-for-dag-run` on the local store."""

from __future__ import annotations

import json
import textwrap

import pytest

from chalicelib.cli.main import main

DAG_FILE = """\
from datetime import datetime
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("daily", schedule="@daily", start_date=datetime(2024, 1, 1)):
    EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
"""


@pytest.fixture
def folder(tmp_path, mocked_aws):
    from chalicelib.services.backend import Backend
    from chalicelib.services.resources import init_resources

    init_resources(Backend())
    (tmp_path / "daily.py").write_text(textwrap.dedent(DAG_FILE))
    return str(tmp_path)


def cli(capsys, *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_backfill_dry_run_lists_then_creates_the_runs_and_the_verbs_read_them(folder, capsys):
    dry = json.loads(cli(capsys, "dags", "backfill", "daily", "-s", "2024-02-01", "-e", "2024-02-03", "--dry-run",
                         "--dags-folder", folder, "--output", "json"))
    made = json.loads(cli(capsys, "dags", "backfill", "daily", "-s", "2024-02-01", "-e", "2024-02-03",
                          "--dags-folder", folder, "--output", "json"))
    again = json.loads(cli(capsys, "dags", "backfill", "daily", "-s", "2024-02-03", "-e", "2024-02-03",
                           "--dags-folder", folder, "--output", "json"))

    assert [r["logical_date"] for r in dry["runs"]] == [
        "2024-02-01T00:00:00+00:00", "2024-02-02T00:00:00+00:00", "2024-02-03T00:00:00+00:00"]
    assert [r["run_id"] for r in made["runs"]] == [f"backfill__2024-02-0{d}T00:00:00+00:00" for d in (1, 2, 3)]
    assert again["runs"] == [{"logical_date": "", "run_id": "backfill__2024-02-03T00:00:00+00:00", "created": False}]

    runs = json.loads(cli(capsys, "dags", "list-runs", "daily", "--output", "json"))
    assert {r["run_id"] for r in runs} == {r["run_id"] for r in made["runs"]}
    assert {r["run_type"] for r in runs} == {"backfill"}
    run_id = made["runs"][0]["run_id"]
    assert cli(capsys, "dags", "state", "daily", run_id).strip() == "running"
    tis = json.loads(cli(capsys, "tasks", "states-for-dag-run", "daily", run_id, "--output", "json"))
    assert [(t["task_id"], t["state"]) for t in tis] == [("a", "queued"), ("b", None)]


def test_next_execution_and_unknown_run(folder, capsys):
    assert cli(capsys, "dags", "next-execution", "daily", "--dags-folder", folder).strip().endswith("T00:00:00+00:00")
    assert main(["dags", "state", "daily", "nope"]) == 2
    assert "not found" in capsys.readouterr().err


def test_tasks_logs_prints_a_stored_try_and_names_a_missing_one(folder, capsys):
    from chalicelib.services.backend import Backend
    from chalicelib.store.blobs import log_key

    made = json.loads(cli(capsys, "dags", "backfill", "daily", "-s", "2024-02-01", "-e", "2024-02-01",
                          "--dags-folder", folder, "--output", "json"))
    run_id = made["runs"][0]["run_id"]
    backend = Backend()
    backend.blobs.put_log(log_key("daily", run_id, "a", 1), "hello from a\n")
    assert cli(capsys, "tasks", "logs", "daily", run_id, "a", "--try", "1") == "hello from a\n"
    assert main(["tasks", "logs", "daily", run_id, "a", "--try", "7"]) == 2
    assert "no try 7" in capsys.readouterr().err
