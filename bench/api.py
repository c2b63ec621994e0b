"""API benchmark: GET /dags with 1,000 DAGs and GET grid for a 100-task DAG with 25 runs.

Starts a moto server and `chalice local` as subprocesses on free ports, seeds the store, then measures
(1) DynamoDB requests per call, counted in-process with a botocore `before-send` event hook around the
same route handlers (chalice.test.Client), and (2) p50/p95 latency of real HTTP calls through
`chalice local`. Prints a table and writes bench/results/api.json.

Targets (issue 5): <= 5 DynamoDB requests for the first page of the DAG list regardless of history;
p95 < 150 ms locally.
Usage: .venv/bin/python bench/api.py [--dags 1000] [--requests 40]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TOKEN = "bench-admin-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 - loopback
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def spec_dict(dag_id: str, n_tasks: int, chain: bool) -> dict:
    tasks = []
    for i in range(n_tasks):
        up = [f"t{i - 1}"] if chain and i else []
        down = [f"t{i + 1}"] if chain and i < n_tasks - 1 else []
        tasks.append({"task_id": f"t{i}", "operator": "PythonOperator", "upstream": up, "downstream": down,
                      "trigger_rule": "all_success", "retry": {"retries": 0, "retry_delay": 300.0,
                                                               "retry_exponential_backoff": 0.0, "max_retry_delay": None},
                      "sensor": None, "template_fields": []})
    return {"dag_id": dag_id, "fileloc": f"{dag_id}.py", "tasks": tasks,
            "schedule": {"kind": "cron", "cron": "0 * * * *", "delta_seconds": None, "timezone": "UTC"},
            "start_date": "2024-01-01T00:00:00+00:00", "tags": ["bench", f"group{hash(dag_id) % 10}"],
            "description": f"benchmark DAG {dag_id}", "owner": "bench"}


def seed(backend, n_dags: int) -> None:
    from chalicelib.core.spec import DagSpec
    from chalicelib.store.runs import run_pk
    from chalicelib.store.timefmt import iso

    now = datetime.now(UTC)
    source = "# generated\n" + "x = 1\n" * 200
    for i in range(n_dags):
        spec = DagSpec.from_dict(spec_dict(f"dag_{i:04d}", 5, True))
        backend.dags.upsert(spec, relpath=spec.fileloc, source=source, source_hash=f"h{i}", now=now,
                            paused_on_create=False)
    grid = DagSpec.from_dict(spec_dict("grid_100", 100, True))
    backend.dags.upsert(grid, relpath="grid_100.py", source=source, source_hash="grid", now=now, paused_on_create=False)
    present = {f"dag_{i:04d}" for i in range(n_dags)} | {"grid_100"}
    backend.dags.deactivate_missing(present, now)  # what the scheduler's sync does: stores the DAG counts
    TI = backend.models.TaskInstance
    for r in range(25):
        at = now - timedelta(hours=25 - r)
        run = backend.runs.create(grid, run_id=f"scheduled__{at.isoformat()}", run_type="scheduled", logical_date=at,
                                  run_after=at, interval=(at, at), conf={}, note=None, now=at)
        with TI.batch_write() as batch:
            for t in grid.tasks:
                batch.save(TI(run_pk("grid_100", run.run_id), t.task_id, dag_id="grid_100", run_id=run.run_id,
                              state="success", try_number=1, max_tries=0, start_date=iso(at),
                              end_date=iso(at + timedelta(seconds=2)), duration=2.0))
        backend.dags.record_last_run("grid_100", run.run_id, "success", at)


class DynamoCounter:
    def __init__(self) -> None:
        self.count = 0
        self.clients: set[int] = set()

    def __call__(self, **_: object) -> None:
        self.count += 1

    def attach(self, models) -> None:
        for model in models.all():
            client = model._get_connection().connection.client
            if id(client) not in self.clients:
                self.clients.add(id(client))
                client.meta.events.register("before-send.dynamodb", self)


def count_requests(backend, paths: dict[str, str]) -> dict[str, int]:
    from chalice.test import Client

    import app as app_module

    os.environ["LEVANTE_ADMIN_TOKEN"] = TOKEN
    app_module._runtime.update({"backend": backend, "dags": None})
    counter = DynamoCounter()
    counter.attach(backend.models)
    out = {}
    with Client(app_module.app) as client:
        for name, path in paths.items():
            client.http.get(path, headers={"Authorization": f"Bearer {TOKEN}"})  # warm: connections, caches
            counter.count = 0
            response = client.http.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
            assert response.status_code == 200, response.body[:300]
            out[name] = counter.count
    return out


def latencies(base: str, path: str, n: int) -> dict[str, float]:
    samples = []
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {TOKEN}"})
    for i in range(n + 3):
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            response.read()
        if i >= 3:  # the first calls build clients and connections
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))], 1),
            "max_ms": round(samples[-1], 1), "n": n}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dags", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    moto_port, api_port = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{moto_port}"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint, "LEVANTE_PREFIX": "levante", "LEVANTE_STAGE": "dev",
           "LEVANTE_ADMIN_TOKEN": TOKEN}
    env.pop("AWS_PROFILE", None)
    os.environ.update(env)
    bin_dir = Path(sys.executable).parent
    procs = [subprocess.Popen([str(bin_dir / "moto_server"), "-p", str(moto_port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=env)]
    try:
        wait_http(endpoint + "/moto-api/")
        from chalicelib.services.backend import Backend
        from chalicelib.services.resources import init_resources
        from chalicelib.store.settings import Settings

        backend = Backend(Settings.from_env())
        init_resources(backend)
        started = time.perf_counter()
        seed(backend, args.dags)
        print(f"seeded {args.dags} DAGs + grid_100 (25 runs x 100 tasks) in {time.perf_counter() - started:.1f}s")
        paths = {"GET /dags (first page)": "/api/v1/dags?limit=100",
                 "GET /dags?tags=group3 (filtered)": "/api/v1/dags?limit=100&tags=group3",
                 "GET /dags/grid_100/grid (25 runs)": "/api/v1/dags/grid_100/grid?limit=25"}
        requests = count_requests(backend, paths)
        procs.append(subprocess.Popen([str(bin_dir / "chalice"), "local", "--port", str(api_port), "--stage", "dev",
                                       "--no-autoreload"],
                                      cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open("/tmp/chalice_local.log", "w"), env=env))
        base = f"http://127.0.0.1:{api_port}"
        wait_http(base + "/api/v1/health")
        results = {}
        for name, path in paths.items():
            results[name] = {"dynamodb_requests": requests[name], **latencies(base, path, args.requests)}
        print(f"{'call':40} {'DDB req':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for name, r in results.items():
            print(f"{name:40} {r['dynamodb_requests']:>8} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['max_ms']:>8}")
        out = {"dags": args.dags, "grid": {"tasks": 100, "runs": 25}, "results": results,
               "targets": {"dag_list_first_page_dynamodb_requests": 5, "p95_ms": 150},
               "note": "moto server on loopback; moto does not apply DynamoDB's 1 MB page limit the way AWS does"}
        (ROOT / "bench" / "results").mkdir(exist_ok=True)
        (ROOT / "bench" / "results" / "api.json").write_text(json.dumps(out, indent=2) + "\n")
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
