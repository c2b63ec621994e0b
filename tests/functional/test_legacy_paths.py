"""Airflow 1/2 paths and helpers load on purpose, each use warned once at its own line with the fix."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chalicelib.loader.dagbag import DagBag

REPO = Path(__file__).resolve().parents[2]

LEGACY = """\
from airflow import DAG
from airflow.operators.python_operator import PythonOperator
from airflow.operators.dummy_operator import DummyOperator
from airflow.utils.dates import days_ago
from airflow.configuration import conf
from airflow.models import Variable

default_args = {"start_date": days_ago(2), "provide_context": True}

with DAG("legacy", default_args=default_args, schedule_interval="@daily") as dag:
    start = DummyOperator(task_id="start")
    work = PythonOperator(
        task_id="work",
        python_callable=lambda **kw: kw["ds"],
        provide_context=True,
    )
    defaulted = PythonOperator(task_id="defaulted", python_callable=lambda: conf.get("core", "x", fallback=1))
    start >> work >> defaulted
"""


def write(folder: Path, name: str, source: str) -> None:
    (folder / name).write_text(textwrap.dedent(source))


def messages(bag: DagBag, relpath: str) -> list[tuple[int, str]]:
    return [(w.lineno, w.message) for w in bag.warnings.get(relpath, [])]


def test_legacy_file_loads_with_one_warning_per_use_naming_the_replacement(tmp_path):
    write(tmp_path, "legacy.py", LEGACY)

    bag = DagBag(tmp_path)

    assert bag.import_errors == {}
    assert bag.dag_ids == ["legacy"]
    found = messages(bag, "legacy.py")
    assert [line for line, _ in found] == [2, 3, 4, 5, 6, 8, 15]
    text = dict(found)
    assert "airflow.providers.standard.operators.python" in text[2]
    assert "EmptyOperator" in text[3]
    assert "days_ago" in text[4] and "pendulum.datetime" in text[4]
    assert "airflow.configuration" in text[5]
    assert "airflow.sdk.Variable" in text[6]
    assert text[15].startswith("provide_context is deprecated")  # the argument's own line, not the call's
    assert text[8].startswith("provide_context (from default_args)")


def test_days_ago_is_midnight_utc_n_days_back(tmp_path):
    write(tmp_path, "legacy.py", LEGACY)

    start = DagBag(tmp_path).get_dag("legacy").start_date

    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert start == today - timedelta(days=2)


def test_every_file_is_warned_whatever_the_load_order(tmp_path):
    for name in ("a.py", "b.py"):
        write(tmp_path, name, f"""\
            from airflow.operators.bash_operator import BashOperator
            from airflow.models import DAG
            with DAG("{name[0]}"):
                BashOperator(task_id="t", bash_command="true")
            """)

    bag = DagBag(tmp_path)

    assert messages(bag, "a.py") == messages(bag, "b.py")
    assert [line for line, _ in messages(bag, "a.py")] == [1, 2]


def test_legacy_dag_runs_and_dags_list_reports_warnings_not_errors(tmp_path):
    write(tmp_path, "legacy.py", LEGACY)
    base = [sys.executable, "-m", "chalicelib.cli", "dags"]

    listing = subprocess.run([*base, "list", "--dags-folder", str(tmp_path), "--output", "json"],
                             cwd=REPO, capture_output=True, text=True, timeout=60)
    run = subprocess.run([*base, "test", "legacy", "--dags-folder", str(tmp_path), "--output", "json", "--quiet"],
                         cwd=REPO, capture_output=True, text=True, timeout=60)

    payload = json.loads(listing.stdout)
    assert payload["import_errors"] == []
    assert {(w["filename"], w["lineno"]) for w in payload["warnings"]} >= {("legacy.py", 2), ("legacy.py", 15)}
    assert json.loads(run.stdout)["state"] == "success", run.stderr


def test_json_output_is_one_object_even_when_dag_code_prints(tmp_path):
    write(tmp_path, "noisy.py", """\
        from airflow.sdk import DAG, task
        print("printed at import")
        def callback(context):
            print("printed by a callback")
        with DAG("noisy", on_success_callback=callback):
            @task(on_success_callback=callback)
            def t():
                print("printed by the task")
            t()
        """)
    base = [sys.executable, "-m", "chalicelib.cli", "dags"]

    for args in (["list"], ["test", "noisy", "--quiet"]):
        proc = subprocess.run([*base, *args, "--dags-folder", str(tmp_path), "--output", "json"],
                              cwd=REPO, capture_output=True, text=True, timeout=60)
        assert proc.stdout.count("\n") == 1 and json.loads(proc.stdout), proc.stdout
        assert "printed at import" in proc.stderr


def test_unsupported_task_flavours_and_hitl_fail_with_an_import_error_naming_them(tmp_path):
    write(tmp_path, "venv.py", """\
        from airflow.sdk import DAG, task
        with DAG("venv"):
            @task.virtualenv(requirements=["pandas"])
            def t():
                pass
            t()
        """)
    write(tmp_path, "hitl.py", """\
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.hitl import ApprovalOperator
        """)

    errors = DagBag(tmp_path).import_errors

    assert errors["venv.py"].lineno == 3
    assert errors["venv.py"].message.startswith("UnsupportedTaskFlavour: @task.virtualenv is not supported")
    assert errors["hitl.py"].lineno == 2 and "human-in-the-loop" in errors["hitl.py"].message
