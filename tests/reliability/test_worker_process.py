"""Issue #15 item 6 on real processes: `levante worker` against a moto server.

The pool replaces a dead process, stops its processes and their tasks on SIGTERM (the interrupted try is
recorded), and exits non-zero when the endpoint stays unreachable.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.devstack.moto_atomic import server_argv
from chalicelib.devstack.process_groups import ProcessGroups, free_port, group_members, http_answers, wait_until
from tests.functional.harness import write_dag

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
_SKEW = timedelta(seconds=0.5)  # the GIL test's ticks run half a second ahead: stricter than real time

SLOW = """
import os
import time
import pendulum
from airflow.sdk import DAG, task

with DAG("slow", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    @task(retries=1)
    def sleepy():
        open({pid_file!r}, "w").write(str(os.getpid()))
        time.sleep(120)

    sleepy()
"""


def levante(*args: str) -> list[str]:
    return [str(BIN / "levante"), *args]


@pytest.fixture
def moto(tmp_path, monkeypatch):
    processes = ProcessGroups(tmp_path)
    port = free_port()
    processes.start("moto", server_argv("127.0.0.1", port), env=dict(os.environ), cwd=ROOT)
    endpoint = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_answers(f"{endpoint}/moto-api/data.json"), timeout=30, what="moto server")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LEVANTE_"))}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1", LEVANTE_PREFIX=f"w{uuid.uuid4().hex[:6]}",
               LEVANTE_TASK_KILL_GRACE="3")
    for key, value in env.items():
        if key.startswith(("AWS_", "LEVANTE_")):
            monkeypatch.setenv(key, value)
    subprocess.run(levante("init"), env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
    yield processes, env
    assert processes.kill_all() == []


def pool_processes(worker: subprocess.Popen) -> list[int]:
    return [pid for pid in group_members(worker.pid) if pid != worker.pid]


def test_a_dead_pool_process_is_replaced(moto, tmp_path):
    processes, env = moto
    (tmp_path / "dags").mkdir()
    worker = processes.start("worker", levante("worker", "--concurrency", "2", "--dags-folder", str(tmp_path / "dags")),
                             env=env, cwd=ROOT)
    wait_until(lambda: len(pool_processes(worker)) == 2, timeout=60, what="two worker processes")
    victim = pool_processes(worker)[0]

    os.kill(victim, signal.SIGKILL)

    wait_until(lambda: len(pool_processes(worker)) == 2 and victim not in pool_processes(worker), timeout=30,
               what="a new worker process", check=processes.assert_running)
    wait_until(lambda: "starting a new one" in processes.log("worker"), timeout=10, what="the replacement logged")


def test_sigterm_stops_the_pool_and_its_running_task_which_is_recorded(moto, tmp_path):
    from chalicelib.services.backend import Backend
    from chalicelib.services.sync import sync_dags
    from chalicelib.services.trigger import trigger_run

    processes, env = moto
    folder, pid_file = tmp_path / "dags", tmp_path / "task.pid"
    folder.mkdir()
    write_dag(folder, "slow", SLOW.format(pid_file=str(pid_file)))
    backend = Backend()
    sync_dags(backend, str(folder), datetime.now(UTC))
    run = trigger_run(backend, "slow", now=datetime.now(UTC))
    worker = processes.start("worker", levante("worker", "--dags-folder", str(folder)), env=env, cwd=ROOT)
    wait_until(lambda: pid_file.exists() and pid_file.read_text(), timeout=60, what="the task to start",
               check=processes.assert_running)
    task_pid = int(pid_file.read_text())

    os.kill(worker.pid, signal.SIGTERM)  # the parent only, as a service manager would

    assert worker.wait(timeout=60) == 0
    assert group_members(worker.pid) == []
    assert not Path(f"/proc/{task_pid}").exists() or "Z" in Path(f"/proc/{task_pid}/stat").read_text().split()[2]
    ti = backend.runs.task_instance("slow", run.run_id, "sleepy")
    assert (ti.state, int(ti.try_number)) == ("up_for_retry", 1)
    assert "AirflowTaskTerminated" in ti.error


def test_the_worker_exits_non_zero_when_the_endpoint_stays_down(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LEVANTE_"))}
    env.update(AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}", AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1", AWS_MAX_ATTEMPTS="1")
    (tmp_path / "dags").mkdir()

    proc = subprocess.run(levante("worker", "--outage-limit", "2", "--dags-folder", str(tmp_path / "dags")),
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "retrying in" in proc.stderr and "could not reach the endpoint" in proc.stderr


GIL = """
import ctypes
import pendulum
from airflow.sdk import DAG, task

with DAG("gil", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    @task(retries=1)
    def hold():
        open({log!r}, "a").write("start\\n")
        ctypes.PyDLL(None).sleep(4)  # a C call that keeps the GIL for 4 s
        open({log!r}, "a").write("end\\n")
        return "held"

    hold()
"""


def test_a_task_holding_the_gil_is_not_reaped_by_ticks_running_meanwhile(moto, tmp_path):
    """Item 1 with a real `levante worker` and a heartbeat timeout of 1 s: ticks run while the task holds the
    GIL; none reaps it, and it ends once, successfully, on its first try."""
    from chalicelib.services.backend import Backend
    from chalicelib.services.scheduler import tick
    from chalicelib.services.sync import sync_dags
    from chalicelib.services.trigger import trigger_run

    processes, env = moto
    folder, log = tmp_path / "dags", tmp_path / "side_effects.log"
    folder.mkdir()
    write_dag(folder, "gil", GIL.format(log=str(log)))
    backend = Backend()
    sync_dags(backend, str(folder), datetime.now(UTC))
    run = trigger_run(backend, "gil", now=datetime.now(UTC))
    processes.start("worker", levante("worker", "--dags-folder", str(folder)),
                    env={**env, "LEVANTE_TASK_HEARTBEAT_TIMEOUT": "1"}, cwd=ROOT)
    ticks: list[list[str]] = []

    def finished_after_ticking() -> bool:
        if log.exists() and log.read_text() == "start\n":  # the GIL is held now: tick at real time
            ticks.append(tick(backend, datetime.now(UTC) + _SKEW).reaped)
        return backend.runs.task_instance("gil", run.run_id, "hold").state in ("success", "failed", "up_for_retry")

    wait_until(finished_after_ticking, timeout=90, what="the task to end", interval=0.3,
               check=processes.assert_running)

    ti = backend.runs.task_instance("gil", run.run_id, "hold")
    assert (ti.state, int(ti.try_number)) == ("success", 1)
    assert len(ticks) >= 3 and not any(ticks)
    assert log.read_text() == "start\nend\n"

