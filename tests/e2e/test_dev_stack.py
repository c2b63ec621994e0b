"""`levante dev` as a user runs it: start on free ports, trigger an example DAG, read its log, stop with
Ctrl-C, check nothing survives; then restart on the same --state-dir and find the run, a connection and a
secret variable again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from chalicelib.devstack.ports import free_port
from chalicelib.devstack.process_groups import wait_until

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class DevStack:
    def __init__(self, state_dir: Path, token: str = "e2e-admin-token-0123456789", dags_folder: Path = ROOT / "dags"):
        self.ports = {"LEVANTE_UI_PORT": free_port(), "LEVANTE_API_PORT": free_port(), "LEVANTE_MOTO_PORT": free_port()}
        self.env = {**os.environ, **{k: str(v) for k, v in self.ports.items()}, "LEVANTE_ADMIN_TOKEN": token,
                    "LEVANTE_PREFIX": "e2e"}
        self.state_dir = state_dir
        self.dags_folder = dags_folder
        self.token = token
        self.output = state_dir.parent / f"dev-{time.monotonic_ns()}.log"

    def __enter__(self) -> DevStack:
        self.log = open(self.output, "wb")  # noqa: SIM115
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "chalicelib.cli", "dev", "--dags-folder", str(self.dags_folder),
             "--state-dir", str(self.state_dir), "--concurrency", "2"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_for(lambda: "Levante is running" in self.output.read_text(), 60, "the stack to start")
        self.ready_after = time.monotonic() - self.started
        return self

    def wait_for(self, condition, timeout: float, what: str) -> None:
        def still_running() -> None:
            if self.proc.poll() is not None:
                raise AssertionError(f"levante dev exited early:\n{self.output.read_text()[-3000:]}")

        try:
            wait_until(condition, timeout=timeout, what=what, interval=0.2, check=still_running)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}:\n{self.output.read_text()[-3000:]}") from None

    def api(self, path: str) -> str:
        return f"http://127.0.0.1:{self.ports['LEVANTE_API_PORT']}/api/v1{path}"

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        """The REST API as a client uses it: bearer token, JSON in and out."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.api(path), data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def stop(self) -> set[int]:
        family = _descendants(self.proc.pid)
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=30)
        self.log.close()
        return family

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


LEAKY_DAG = """
import pendulum
from airflow.sdk import DAG, Variable, task
from airflow.hooks.base import BaseHook

with DAG("leaky", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
    @task
    def leak():
        print("password:", BaseHook.get_connection("e2e_db").password, "token:", Variable.get("e2e_api_token"))
        return Variable.get("e2e_api_token")

    leak()
"""


def test_dev_stack_runs_a_dag_and_stops_cleanly(tmp_path: Path) -> None:
    state = tmp_path / "state"
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "example_taskflow_etl.py").write_text((ROOT / "dags" / "example_taskflow_etl.py").read_text())
    (dags / "leaky.py").write_text(LEAKY_DAG)
    with DevStack(state, dags_folder=dags) as stack:
        with urllib.request.urlopen(stack.api("/health"), timeout=5) as response:
            assert json.loads(response.read()) == {"status": "ok"}
        # The DAG processor parses the folder after the API is up: trigger once the DAG is listed, as a user would.
        stack.wait_for(lambda: any(d["dag_id"] == "example_taskflow_etl" for d in stack.call("GET", "/dags")["dags"]),
                       120, "the DAG to be parsed")
        created = stack.call("POST", "/dags/example_taskflow_etl/dagRuns", {"dag_run_id": "e2e_run_1"})
        assert created["dag_run_id"] == "e2e_run_1"
        stack.wait_for(lambda: stack.call("GET", "/dags/example_taskflow_etl/dagRuns/e2e_run_1")["state"]
                       in ("success", "failed"), 60, "the run to finish")
        assert stack.call("GET", "/dags/example_taskflow_etl/dagRuns/e2e_run_1")["state"] == "success"
        tis = stack.call("GET", "/dags/example_taskflow_etl/dagRuns/e2e_run_1/taskInstances")["task_instances"]
        assert {t["task_id"]: t["state"] for t in tis} == {"extract": "success", "transform": "success", "load": "success"}
        log = stack.call("GET", "/dags/example_taskflow_etl/dagRuns/e2e_run_1/taskInstances/extract/logs/1")
        assert "Marking task as SUCCESS" in log["content"]
        stack.call("POST", "/connections", {"connection_id": "e2e_db", "conn_type": "postgres", "host": "db.example",
                                            "password": "e2e-db-password"})
        stack.call("POST", "/variables", {"key": "e2e_api_token", "value": "e2e-token-value"})
        # Masking end to end: a task prints both secrets; its log and XCom, read through the API, show ***.
        stack.call("POST", "/dags/leaky/dagRuns", {"dag_run_id": "leak_1"})
        stack.wait_for(lambda: stack.call("GET", "/dags/leaky/dagRuns/leak_1")["state"] in ("success", "failed"),
                       60, "the leaky run to finish")
        leak_path = "/dags/leaky/dagRuns/leak_1/taskInstances/leak"
        log = stack.call("GET", f"{leak_path}/logs/1")["content"]
        assert "password: *** token: ***" in log, log
        xcom = json.dumps(stack.call("GET", f"{leak_path}/xcomEntries"))
        for text in (log, xcom):
            assert "e2e-db-password" not in text and "e2e-token-value" not in text
        family = stack.stop()
        assert stack.proc.returncode == 0
        assert family, "levante dev started no child processes"
        try:
            wait_until(lambda: not any(_alive(pid) for pid in family), timeout=10, what="the stack's processes to exit")
        except TimeoutError:
            raise AssertionError(f"child processes survived the stop: {[p for p in family if _alive(p)]}") from None
        print(f"levante dev ready in {stack.ready_after:.1f}s")

    with DevStack(state, dags_folder=dags) as again:  # the same state dir: the run and its log are still there
        runs = {r["dag_run_id"]: r["state"] for r in again.call("GET", "/dags/example_taskflow_etl/dagRuns")["dag_runs"]}
        assert runs.get("e2e_run_1") == "success"
        log = again.call("GET", "/dags/example_taskflow_etl/dagRuns/e2e_run_1/taskInstances/extract/logs/1")
        assert "Marking task as SUCCESS" in log["content"]
        # Connections and secret variables live in the secrets store (SSM in moto): replayed too, still masked.
        assert again.call("GET", "/connections/e2e_db")["host"] == "db.example"
        assert again.call("GET", "/variables/e2e_api_token")["value"] == "***"
        again.stop()
    recording = (state / "moto-recording.jsonl").read_text()
    assert "AmazonSSM.PutParameter" in recording  # the secrets store is in the recording that is replayed


def test_a_killed_levante_dev_leaves_no_process_behind(tmp_path: Path) -> None:
    # Its API, DAG processor, scheduler and worker run in their own sessions (a Ctrl-C in the terminal goes
    # to `levante dev`, which stops them in order), so a SIGKILL of `levante dev` alone reaches none of them:
    # each asks the kernel for a SIGTERM when its parent dies (chalicelib/lifeline.py).
    dags = tmp_path / "dags"
    dags.mkdir()
    with DevStack(tmp_path / "state", dags_folder=dags) as stack:
        family = _descendants(stack.proc.pid)
        assert len(family) >= 4, family  # api, dag-processor, scheduler, worker (and the worker's pool)
        stack.proc.kill()
        stack.proc.wait(timeout=10)
        try:
            wait_until(lambda: not any(_alive(pid) for pid in family), timeout=60,
                       what="the stack's processes to exit after levante dev was killed")
        except TimeoutError:
            survivors = [pid for pid in family if _alive(pid)]
            for pid in survivors:  # leave nothing running for the next test
                os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"processes survived levante dev: {survivors}") from None
