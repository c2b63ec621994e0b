"""The example DAGs in dags/ run end to end through `levante dags test`, with the final states (and try
numbers) Apache Airflow 3.3.2's `airflow dags test` gives for the same DAG, logical date and conf.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = REPO_ROOT / "dags"
EXAMPLES = {
    "example_bash_pipeline", "example_branching", "example_fan_out_retries", "example_sensor", "example_taskflow_etl",
}


def levante(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "chalicelib.cli", *args, "--dags-folder", str(DAGS_DIR)]
    return subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)


def dags_test(dag_id: str, *extra: str) -> tuple[int, dict]:
    proc = levante("dags", "test", dag_id, "--logical-date", "2024-06-01", "--no-retry-wait", "--quiet",
                   "--output", "json", *extra)
    assert proc.stdout.count("\n") == 1, f"stdout is not one JSON line:\n{proc.stdout}\n{proc.stderr[-3000:]}"
    return proc.returncode, json.loads(proc.stdout)


def states(payload: dict) -> dict[str, tuple[str, int]]:
    assert all(ti["map_index"] == -1 for ti in payload["task_instances"])
    return {ti["task_id"]: (ti["state"], ti["try_number"]) for ti in payload["task_instances"]}


def test_dags_list_shows_every_example_without_import_errors():
    proc = levante("dags", "list", "--output", "json")

    assert proc.returncode == 0, proc.stderr
    listing = json.loads(proc.stdout)
    assert listing["import_errors"] == []
    assert {d["dag_id"] for d in listing["dags"]} == EXAMPLES


def test_taskflow_etl():
    code, run = dags_test("example_taskflow_etl")

    assert (code, run["dag_id"], run["state"]) == (0, "example_taskflow_etl", "success")
    assert states(run) == {
        "extract": ("success", 1),
        "transform": ("success", 1),
        "load": ("success", 1),
    }


def test_taskflow_etl_rejects_conf_failing_param_schema():
    code, run = dags_test("example_taskflow_etl", "--conf", '{"min_amount": 100}')
    assert (code, run["state"]) == (0, "success")

    proc = levante("dags", "test", "example_taskflow_etl", "--conf", '{"min_amount": -5}', "--quiet", "--output", "json")
    assert proc.returncode == 2
    assert "min_amount" in proc.stderr


def test_bash_pipeline_skips_publish_on_exit_99():
    code, run = dags_test("example_bash_pipeline")

    assert (code, run["state"]) == (0, "success")
    assert states(run) == {
        "download": ("success", 1),
        "validate": ("success", 1),
        "publish": ("skipped", 1),
        "report": ("success", 1),
    }


def test_bash_pipeline_publishes_when_asked():
    code, run = dags_test("example_bash_pipeline", "--conf", '{"publish": true}')

    assert (code, run["state"]) == (0, "success")
    assert states(run)["publish"] == ("success", 1)


def test_branching_on_a_saturday_follows_weekend_digest():
    code, run = dags_test("example_branching")  # 2024-06-01 is a Saturday

    assert (code, run["state"]) == (0, "success")
    assert states(run) == {
        "choose_report": ("success", 1),
        "weekday_report": ("skipped", 0),
        "weekend_digest": ("success", 1),
        "full_refresh": ("skipped", 0),
        "join": ("success", 1),
        "pick_storage": ("success", 1),
        "store_in_s3": ("success", 1),
        "store_in_glacier": ("skipped", 0),
        "done": ("success", 1),
    }


def test_branching_by_params_follows_several_branches():
    code, run = dags_test("example_branching", "--conf", '{"full_refresh": true, "also_archive": true}')

    assert (code, run["state"]) == (0, "success")
    assert states(run) == {
        "choose_report": ("success", 1),
        "weekday_report": ("skipped", 0),
        "weekend_digest": ("skipped", 0),
        "full_refresh": ("success", 1),
        "join": ("success", 1),
        "pick_storage": ("success", 1),
        "store_in_s3": ("success", 1),
        "store_in_glacier": ("success", 1),
        "done": ("success", 1),
    }


def test_fan_out_retries_flaky_task_succeeds_on_second_try():
    code, run = dags_test("example_fan_out_retries")

    assert (code, run["state"]) == (0, "success")
    assert states(run) == {
        "start": ("success", 1),
        "fetch.us_east": ("success", 1),
        "fetch.us_west": ("success", 1),
        "fetch.eu_west": ("success", 2),
        "fetch.eu_central": ("success", 1),
        "fetch.ap_south": ("success", 1),
        "fetch.sa_east": ("success", 1),
        "merge": ("success", 1),
        "cleanup": ("success", 1),
        "alert_on_failure": ("skipped", 0),
    }


def test_sensor_is_satisfied_then_downstream_runs():
    code, run = dags_test("example_sensor")

    assert (code, run["state"]) == (0, "success")
    assert states(run) == {
        "start_export": ("success", 1),
        "wait_for_export": ("success", 1),
        "wait_for_quota": ("success", 1),
        "process_export": ("success", 1),
    }
