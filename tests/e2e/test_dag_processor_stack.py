"""The real local stack with hostile DAG files: each becomes an import error within the processor's timeout,
while a frequent DAG beside them gets every run on time (the scheduler never imports DAG files)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from chalicelib.devstack.process_groups import wait_until
from tests.e2e.conftest import LocalStack
from tests.functional.test_dag_processor import EXPECTED, HOSTILE

pytestmark = pytest.mark.e2e

FREQUENT = '''
import pendulum
from datetime import timedelta
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("every_5s", schedule=timedelta(seconds=5), start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False):
    EmptyOperator(task_id="beat")
'''
PROCESSOR_TIMEOUT = 5  # LEVANTE_DAG_PROCESSOR_TIMEOUT in the stack's environment


@pytest.fixture(scope="module")
def e2e_dags(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-dags")
    for name, source in HOSTILE.items():
        (folder / f"{name}.py").write_text(source)
    (folder / "every_5s.py").write_text(FREQUENT)
    return folder


@pytest.fixture
def backend(local_stack: LocalStack, monkeypatch: pytest.MonkeyPatch):
    from chalicelib.services.backend import Backend
    from chalicelib.store.settings import Settings

    for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.setenv(key, local_stack.env[key])
    return Backend(Settings.from_env(local_stack.env))


def test_hostile_files_are_import_errors_and_a_frequent_dag_keeps_its_schedule(local_stack, backend) -> None:
    started = time.monotonic()

    def errors() -> dict[str, str]:
        return {e["filename"]: e["message"] for e in backend.dags.import_errors()}

    # The first bundle is parsed 4 files at a time: two rounds of at most the timeout each, plus start-up.
    wait_until(lambda: set(EXPECTED) <= set(errors()), timeout=4 * PROCESSOR_TIMEOUT + 20,
               what="an import error for every hostile file")
    found = errors()
    for filename, expected in EXPECTED.items():
        assert expected.replace("2s", f"{PROCESSOR_TIMEOUT}s").replace("256", "512") in found[filename], found[filename]
    print(f"hostile files: import errors after {time.monotonic() - started:.1f}s")

    wait_until(lambda: len(backend.runs.list("every_5s", limit=10)) >= 3, timeout=40, what="three runs of every_5s")
    runs = sorted(backend.runs.list("every_5s", limit=10), key=lambda r: r.run_after)
    lateness = [(r.start_date - r.run_after).total_seconds() for r in runs]
    gaps = [(b.run_after - a.run_after).total_seconds() for a, b in zip(runs, runs[1:])]
    # Airflow's delta trigger without catchup: each run 5 s after the previous one's run_after or later,
    # never a skipped interval (a stalled scheduler would show a gap of 10 s or more)
    assert all(5 <= gap < 10 for gap in gaps), gaps
    assert max(lateness) < 5, lateness  # created within a few scheduler intervals (0.5 s) of being due
    local_stack.processes.assert_running()
