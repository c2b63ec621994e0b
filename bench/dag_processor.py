"""DAG processor and bundles: what a DAG change costs, and what the scheduler tick costs beside it.

Usage: .venv/bin/python bench/dag_processor.py [--dags N]   (default 1,000; in-process moto, mock_aws)

Prints, and writes bench/results/dag_processor.json:
  (a) the DAG processor's first parse of N DAG files (one child process per file, 4 at a time);
  (b) the scheduler tick with N DAGs and nothing changed: AWS requests and wall time (3 ticks, best);
  (c) one changed file: `levante dags deploy` (bundle upload), the processor (parses that file only),
      and the tick right after it (the same cost as (b): the tick never reads DAG files);
  (d) time from `levante dags deploy` of a changed minutely DAG to a scheduled run on the new version,
      in-process (deploy -> process -> tick); `levante dev` adds its polling on top (processor every 1 s,
      scheduler every 2 s).
Requests are counted by botocore hooks on every client (bench/awscount.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.awscount import AwsCounter  # noqa: E402

IDLE_DAG = """import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("idle_{i:04d}", schedule="@daily", start_date=pendulum.datetime(2100, 1, 1, tz="UTC"), catchup=False):
    EmptyOperator(task_id="{task}")
"""
PROBE = """import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("probe", schedule="* * * * *", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False):
    EmptyOperator(task_id="{task}")
"""


def timed(counter: AwsCounter, call: Any) -> tuple[Any, dict[str, Any]]:
    counter.reset()
    started = time.perf_counter()
    value = call()
    wall = time.perf_counter() - started
    counted = counter.snapshot()
    return value, {"wall_s": round(wall, 4), "requests": sum(counted["requests"].values()),
                   "by_operation": dict(counted["requests"])}


def run(dags: int) -> dict[str, Any]:
    from chalicelib.services.backend import Backend
    from chalicelib.services.bundles import publish_folder
    from chalicelib.services.dag_processor import process_current_bundle
    from chalicelib.services.resources import init_resources
    from chalicelib.services.scheduler import tick
    from chalicelib.store.settings import Settings

    counter = AwsCounter()
    counter.install()
    backend = Backend(Settings(prefix=f"b{uuid.uuid4().hex[:6]}", stage="bench"))
    with counter.paused():
        init_resources(backend)
    results: dict[str, Any] = {"dags": dags, "machine_cpus": os.cpu_count()}
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(dags):
            (folder / f"idle_{i:04d}.py").write_text(IDLE_DAG.format(i=i, task="only"))
        (folder / "probe.py").write_text(PROBE.format(task="v1"))

        _, results["a_deploy_all"] = timed(counter, lambda: publish_folder(backend, str(folder), now))
        report, results["a_first_parse"] = timed(counter, lambda: process_current_bundle(backend, now))
        results["a_first_parse"]["files_parsed"] = report.result.parsed

        ticks = [timed(counter, lambda: tick(backend, now))[1] for _ in range(3)]
        results["b_tick_unchanged"] = min(ticks, key=lambda t: t["wall_s"])

        (folder / "idle_0007.py").write_text(IDLE_DAG.format(i=7, task="changed"))
        _, results["c_deploy_one_change"] = timed(counter, lambda: publish_folder(backend, str(folder), now))
        report, results["c_process_one_change"] = timed(counter, lambda: process_current_bundle(backend, now))
        results["c_process_one_change"]["files_parsed"] = report.result.parsed
        _, results["c_tick_after_change"] = timed(counter, lambda: tick(backend, now))

        (folder / "probe.py").write_text(PROBE.format(task="v2"))
        later = now + timedelta(minutes=1, seconds=1)
        started = time.perf_counter()
        manifest, _ = publish_folder(backend, str(folder), later)
        deployed = time.perf_counter()
        process_current_bundle(backend, later)
        processed = time.perf_counter()
        created = tick(backend, later + timedelta(minutes=1)).runs_created
        scheduled = time.perf_counter()
        probe_runs = [r for r in created if r.startswith("probe/")]
        run_id = probe_runs[0].split("/", 1)[1]
        assert backend.runs.get("probe", run_id).bundle_version == manifest.version
        results["d_deploy_to_scheduled"] = {"deploy_s": round(deployed - started, 4),
                                            "process_s": round(processed - deployed, 4),
                                            "tick_s": round(scheduled - processed, 4),
                                            "total_s": round(scheduled - started, 4),
                                            "dev_polling_worst_case_s": 1.0 + 2.0}
    return results


def print_report(r: dict[str, Any]) -> None:
    n = r["dags"]
    print(f"\nDAG processor and bundles, {n} DAG files + 1 probe ({r['machine_cpus']} CPUs, in-process moto)")
    print(f"(a) first deploy: {r['a_deploy_all']['wall_s']:.2f} s; first parse of {r['a_first_parse']['files_parsed']} files:"
          f" {r['a_first_parse']['wall_s']:.2f} s, {r['a_first_parse']['requests']} AWS requests")
    b = r["b_tick_unchanged"]
    print(f"(b) tick, {n} DAGs unchanged: {b['wall_s'] * 1000:.1f} ms, {b['requests']} requests {b['by_operation']}")
    c1, c2, c3 = r["c_deploy_one_change"], r["c_process_one_change"], r["c_tick_after_change"]
    print(f"(c) one file changed: deploy {c1['wall_s']:.2f} s ({c1['requests']} requests); processor parsed"
          f" {c2['files_parsed']} file in {c2['wall_s']:.2f} s ({c2['requests']} requests); tick after it"
          f" {c3['wall_s'] * 1000:.1f} ms, {c3['requests']} requests")
    d = r["d_deploy_to_scheduled"]
    print(f"(d) dags deploy -> new version scheduled: {d['total_s']:.2f} s in-process (deploy {d['deploy_s']:.2f},"
          f" process {d['process_s']:.2f}, tick {d['tick_s']:.2f}); levante dev adds at most"
          f" {d['dev_polling_worst_case_s']:.0f} s of polling")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dags", type=int, default=1000)
    args = parser.parse_args()
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
                      AWS_REGION="us-east-1", LEVANTE_BUNDLE_CACHE=tempfile.mkdtemp(prefix="levante-bench-bundles-"))
    from moto import mock_aws

    with mock_aws():
        results = run(args.dags)
    print_report(results)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "dag_processor.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
