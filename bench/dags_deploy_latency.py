"""Time from `levante dags deploy` to the new version being scheduled, locally, with real processes.

Usage: .venv/bin/python bench/dags_deploy_latency.py [--rounds 5] [--scheduler-interval 2]

A moto server stands in for AWS; `levante dag-processor` (polling the bundle pointer every second, where AWS
fires the processor Lambda on the pointer's S3 event), `levante scheduler` (ticking every 2 s, as `levante dev`
does) and `levante worker` run as their own processes. A DAG scheduled every second is changed and shipped
with the real `levante dags deploy` command, `--rounds` times. Each round measures, from the command's start:
  deployed   the command returned (its Python start, the zip, the S3 uploads);
  processed  the processor recorded the new version (the DAG's serialized spec and import errors written);
  scheduled  the scheduler created the first run on the new version (recorded on the run).
Prints each round and the median and worst, and writes bench/results/dags_deploy_latency.json.
bench/dag_processor.py (d) measures the same path in-process, without polling or process starts.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.devstack.ports import free_port  # noqa: E402

PROBE = """import datetime

import pendulum
from airflow.sdk import DAG, task

with DAG("deploy_probe", schedule=datetime.timedelta(seconds=1), start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
         catchup=False, max_active_runs=1000):
    @task
    def which() -> str:
        return "{version}"

    which()
"""
LEVANTE = [sys.executable, "-m", "chalicelib.cli"]


def wait_for(check: Any, timeout: float, what: str, poll: float = 0.02) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.perf_counter()
        time.sleep(poll)
    raise TimeoutError(f"{what} did not happen within {timeout:.0f} s")


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def run(rounds: int, scheduler_interval: float) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="levante-deploy-latency-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LEVANTE_"))}
    env.update(AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1",
               LEVANTE_PREFIX=f"lat{uuid.uuid4().hex[:6]}", LEVANTE_STAGE="bench",
               LEVANTE_DAGS_PAUSED_AT_CREATION="false", LEVANTE_BUNDLE_CACHE=str(work / "bundles"),
               PYTHONUNBUFFERED="1")
    dags = work / "dags"
    dags.mkdir()
    processes = [start([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env,
                       work / "moto.log")]
    try:
        os.environ.update({k: v for k, v in env.items() if k.startswith(("AWS_", "LEVANTE_"))})
        import urllib.request

        wait_for(lambda: _answers(urllib.request, f"{env['AWS_ENDPOINT_URL']}/moto-api/data.json"), 30, "moto")
        from chalicelib.services.backend import Backend
        from chalicelib.services.dag_processor import STATUS
        from chalicelib.services.resources import init_resources

        backend = Backend()
        init_resources(backend)
        (dags / "deploy_probe.py").write_text(PROBE.format(version="v0"))
        subprocess.run([*LEVANTE, "dags", "deploy", "--dags-folder", str(dags)], env=env, cwd=ROOT, check=True,
                       capture_output=True)
        processes += [start([*LEVANTE, "dag-processor", "--interval", "1"], env, work / "processor.log"),
                      start([*LEVANTE, "scheduler", "--interval", str(scheduler_interval)], env, work / "scheduler.log"),
                      start([*LEVANTE, "worker", "--concurrency", "2", "--dags-folder", str(dags)], env,
                            work / "worker.log")]
        wait_for(lambda: _runs_on(backend, None), 60, "the first scheduled run")
        results = []
        for number in range(1, rounds + 1):
            (dags / "deploy_probe.py").write_text(PROBE.format(version=f"v{number}"))
            started = time.perf_counter()
            deployed = subprocess.run([*LEVANTE, "dags", "deploy", "--dags-folder", str(dags), "--output", "json"],
                                      env=env, cwd=ROOT, check=True, capture_output=True, text=True)
            deployed_at = time.perf_counter()
            version = json.loads(deployed.stdout)["version"]
            processed_at = wait_for(lambda v=version: (backend.dags.get_meta(*STATUS) or {}).get("version") == v, 60,
                                    f"processing of {version}")
            scheduled_at = wait_for(lambda v=version: _runs_on(backend, v), 60, f"a run on {version}")
            results.append({"version": version, "deployed_s": round(deployed_at - started, 3),
                            "processed_s": round(processed_at - started, 3),
                            "scheduled_s": round(scheduled_at - started, 3)})
            print(f"round {number}: deployed {results[-1]['deployed_s']:.2f} s, processed {results[-1]['processed_s']:.2f} s,"
                  f" scheduled {results[-1]['scheduled_s']:.2f} s  (bundle {version})", flush=True)
    finally:
        for process in reversed(processes):  # each started in its own session: its group is its own
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    summary = {key: {"median": round(statistics.median(r[key] for r in results), 3),
                     "max": round(max(r[key] for r in results), 3)}
               for key in ("deployed_s", "processed_s", "scheduled_s")}
    return {"rounds": results, "summary": summary, "processor_poll_s": 1.0, "scheduler_interval_s": scheduler_interval,
            "machine_cpus": os.cpu_count()}


def _answers(urllib_request: Any, url: str) -> bool:
    try:
        with urllib_request.urlopen(url, timeout=1):
            return True
    except OSError:
        return False


def _runs_on(backend: Any, version: str | None) -> bool:
    """Whether the probe has a run created by the scheduler on `version` (any version when None)."""
    try:
        runs = backend.runs.list("deploy_probe", limit=10)
    except Exception:  # noqa: BLE001 - the tables may not answer yet
        return False
    return any(r.run_type == "scheduled" and (version is None or r.bundle_version == version) for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scheduler-interval", type=float, default=2.0, help="seconds between ticks (levante dev: 2)")
    args = parser.parse_args()
    results = run(args.rounds, args.scheduler_interval)
    s = results["summary"]
    print(f"\n`levante dags deploy` -> new version scheduled, locally ({results['machine_cpus']} CPUs, moto server,"
          f" processor polling every {results['processor_poll_s']:.0f} s, tick every {results['scheduler_interval_s']:.0f} s)")
    for key, label in (("deployed_s", "command returned"), ("processed_s", "version processed"),
                       ("scheduled_s", "first run on it")):
        print(f"  {label:<18} median {s[key]['median']:.2f} s   worst {s[key]['max']:.2f} s")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "dags_deploy_latency.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
