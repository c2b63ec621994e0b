"""The DAG processor parses bundles in child processes: a hostile DAG file is an import error for that file
alone, and the scheduler beside it, which reads serialized DAGs only, keeps every run on time."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from tests.functional.harness import T0, Stack, write_dag

HOSTILE = {
    "sleeps_forever": "from airflow.sdk import DAG\nimport time\nwhile True:\n    time.sleep(1)\n",
    "swallows_timeouts": ("from airflow.sdk import DAG\nimport time\nwhile True:\n    try:\n        time.sleep(100)\n"
                          "    except BaseException:\n        pass\n"),
    "exits": "from airflow.sdk import DAG\nimport os\nos._exit(3)\n",
    "allocates_4gb": "from airflow.sdk import DAG\nblob = bytearray(4 * 1024 ** 3)\n",
}
EXPECTED = {
    "sleeps_forever.py": "timed out after 2s and was killed",
    "swallows_timeouts.py": "timed out after 2s and was killed",
    "exits.py": "exited with code 3 before finishing",
    "allocates_4gb.py": "MemoryError: the file's import needed more than the 256 MB allowed",
}

MINUTELY = '''
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("minutely", schedule="* * * * *", start_date=pendulum.datetime(2024, 6, 1, 11, 58, tz="UTC"), catchup=False):
    EmptyOperator(task_id="tick")
'''


@pytest.fixture
def stack(backend, tmp_path):
    folder = tmp_path / "dags"
    folder.mkdir()
    return Stack(backend, folder)


def test_hostile_files_become_import_errors_within_the_timeout_and_a_minutely_dag_runs_on_time(stack):
    from chalicelib.loader.isolated import ParseLimits

    for name, source in HOSTILE.items():
        write_dag(stack.folder_path, name, source)
    write_dag(stack.folder_path, "minutely", MINUTELY)

    started = time.monotonic()
    report = stack.deploy(T0, limits=ParseLimits(timeout=2, memory_mb=256, parallel=5))
    took = time.monotonic() - started

    assert took < 2 + 5, f"the processor took {took:.1f}s for files that time out after 2s (in parallel)"
    assert report.result.parsed == 5 and sorted(report.result.specs) == ["minutely"]
    errors = {e["filename"]: e["message"] for e in stack.backend.dags.import_errors()}
    assert set(errors) == set(EXPECTED)
    for filename, expected in EXPECTED.items():
        assert expected in errors[filename], (filename, errors[filename])

    created = []
    for minute in range(1, 4):  # the tick reads serialized DAGs only: the hostile files cannot slow it down
        report = stack.tick(T0 + timedelta(minutes=minute, seconds=1))
        assert report.duration_s < 5 and not report.errors
        created += report.runs_created
    assert created == [f"minutely/scheduled__2024-06-01T12:0{m}:00+00:00" for m in range(1, 4)]


def test_a_changed_bundle_reparses_only_the_changed_file_and_retires_a_removed_dag(stack):
    write_dag(stack.folder_path, "minutely", MINUTELY)
    write_dag(stack.folder_path, "other", MINUTELY.replace('"minutely"', '"other"'))
    first = stack.deploy(T0)
    assert first.result.parsed == 2

    write_dag(stack.folder_path, "other", MINUTELY.replace('"minutely"', '"other"').replace("tick", "tock"))
    second = stack.deploy(T0)
    assert second.version != first.version
    assert second.result.parsed == 1 and second.result.written == 1
    assert stack.backend.dags.get("other").bundle_version == second.version
    assert stack.backend.dags.get("minutely").bundle_version == first.version  # same file, same code

    again = stack.process(T0)
    assert again.skipped  # the safety timer finds nothing new

    (stack.folder_path / "other.py").unlink()
    third = stack.deploy(T0)
    assert third.result.deactivated == ["other"]


def test_a_helper_module_change_reparses_the_files_that_may_import_it(stack):
    (stack.folder_path / "helpers.py").write_text("TASK = 'first'\n")
    write_dag(stack.folder_path, "minutely", MINUTELY.replace('task_id="tick"', "task_id=__import__('helpers').TASK"))
    stack.deploy(T0)
    assert [t.task_id for t in stack.backend.dags.get("minutely").spec.tasks] == ["first"]

    (stack.folder_path / "helpers.py").write_text("TASK = 'second'\n")
    report = stack.deploy(T0)

    assert report.result.parsed == 1
    assert [t.task_id for t in stack.backend.dags.get("minutely").spec.tasks] == ["second"]
