"""Local stack benchmark: `levante dev` start to healthy API, and a 100-task fan-out DAG end to end through
the stack (REST trigger -> scheduler/SQS/workers -> success) versus `levante dags test` of the same DAG.

Usage: .venv/bin/python bench/devstack.py [--tasks 100] [--concurrency 4]. Prints a table and writes
bench/results/devstack.json. Target: healthy in < 10 s after install.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.devstack.ports import free_port  # noqa: E402

DAG = """import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.python import PythonOperator


def noop():
    return None


with DAG("fanout", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    root = PythonOperator(task_id="root", python_callable=noop)
    root >> [PythonOperator(task_id=f"t{{i}}", python_callable=noop) for i in range({n})]
"""


def call(base: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "dags"
        folder.mkdir()
        (folder / "fanout.py").write_text(DAG.format(n=args.tasks - 1))
        ports = {"LEVANTE_UI_PORT": free_port(), "LEVANTE_API_PORT": free_port(), "LEVANTE_MOTO_PORT": free_port()}
        token = "bench-admin-token-0123456789"
        env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "LEVANTE_ADMIN_TOKEN": token}
        base = f"http://127.0.0.1:{ports['LEVANTE_API_PORT']}/api/v1"
        log = open(Path(tmp) / "dev.log", "wb")  # noqa: SIM115
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "chalicelib.cli", "dev", "--dags-folder", str(folder),
                                 "--concurrency", str(args.concurrency)], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            healthy = _until(lambda: _healthy(base), 120) - started
            _until(lambda: _has_dag(base, token), 60)
            trigger_at = time.perf_counter()
            call(base, token, "POST", "/dags/fanout/dagRuns", {"dag_run_id": "bench"})
            _until(lambda: call(base, token, "GET", "/dags/fanout/dagRuns/bench")["state"] in ("success", "failed"), 600)
            stack_wall = time.perf_counter() - trigger_at
            state = call(base, token, "GET", "/dags/fanout/dagRuns/bench")["state"]
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
            log.close()
        test_start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "chalicelib.cli", "dags", "test", "fanout", "--dags-folder", str(folder),
                        "--output", "json", "--quiet"], cwd=ROOT, check=True, capture_output=True)
        test_wall = time.perf_counter() - test_start
    results = {"tasks": args.tasks, "concurrency": args.concurrency, "start_to_healthy_s": healthy,
               "stack_run_wall_s": stack_wall, "stack_run_state": state, "dags_test_wall_s": test_wall}
    print(f"levante dev start -> healthy API: {healthy:.1f} s")
    print(f"{args.tasks}-task fan-out through the local stack ({args.concurrency} workers): {stack_wall:.1f} s ({state})")
    print(f"same DAG with levante dags test (in-process): {test_wall:.2f} s")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "devstack.json").write_text(json.dumps(results, indent=2))


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _has_dag(base: str, token: str) -> bool:
    try:
        return call(base, token, "GET", "/dags/fanout")["dag_id"] == "fanout"
    except OSError:
        return False


def _until(condition, timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return time.perf_counter()
        time.sleep(0.1)
    raise SystemExit("timed out")


if __name__ == "__main__":
    main()
