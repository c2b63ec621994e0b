"""Throughput locally (issue #17 item 6): one wide fan-out (root -> N parallel tasks -> join) through
`levante dev` with 4 workers, through `levante dags test` (in-process), and through Apache Airflow 3.3's
LocalExecutor with 4 worker processes; tasks per second for each.

Usage: .venv/bin/python bench/throughput.py [--tasks 1000] [--airflow-python /work/airflow-venv/bin/python]
       [--skip-levante-dev] [--skip-dags-test]
Prints one JSON document and writes bench/results/throughput.json. Without --airflow-python (or when that
interpreter has no Airflow) the Airflow part is skipped with a note.

The tasks are PythonOperators returning None, in both systems: Airflow's scheduler marks an EmptyOperator
success without ever sending it to the executor, so EmptyOperators would time its scheduler, not its
task execution. `max_active_tasks` is N + 16 on the DAG (and Airflow's [core] max_active_tasks_per_dag the
same), so only the 4 worker slots limit concurrency; Airflow's [core] parallelism is 4.

Measures, per system: `tasks_per_s` = all task instances (N + 2) / (last task end - first task start), from
the task instances' own start/end dates; `trigger_to_success_s` = from the trigger to the run's end date
(Levante: the moment before the REST POST; Airflow: the dag_run's queued_at, written by `airflow dags
trigger`; dags test: the process's start to its exit, interpreter start and DAG parse included).
The machine may be shared: the load average at the start and end is part of the result.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.airflow_local import AirflowStack  # noqa: E402
from chalicelib.devstack.process_groups import free_port, http_answers, wait_until  # noqa: E402

DAG_ID = "throughput_fanout"
DAG = """import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.python import PythonOperator


def noop():
    return None


with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False,
         max_active_tasks={slots}):
    root = PythonOperator(task_id="root", python_callable=noop)
    join = PythonOperator(task_id="join", python_callable=noop)
    root >> [PythonOperator(task_id=f"t{{i:04d}}", python_callable=noop) for i in range({n})] >> join
"""


def measures(tasks: list[tuple[str, str, datetime | None, datetime | None]], triggered: datetime | None,
             run_end: datetime | None) -> dict[str, Any]:
    """tasks: (task_id, state, start, end); tasks/s over the first start -> last end span."""
    states: dict[str, int] = {}
    for _, state, _, _ in tasks:
        states[state] = states.get(state, 0) + 1
    starts = [s for _, _, s, _ in tasks if s]
    ends = [e for _, _, _, e in tasks if e]
    span = (max(ends) - min(starts)).total_seconds()
    out: dict[str, Any] = {"task_instances": len(tasks), "states": states,
                           "first_start_to_last_end_s": round(span, 3),
                           "tasks_per_s": round(len(tasks) / span, 2) if span > 0 else None}
    by_id = {t: (s, e) for t, _, s, e in tasks}
    middle = [(s, e) for t, _, s, e in tasks if t not in ("root", "join") and s and e]
    if by_id.get("root", (None, None))[1] and by_id.get("join", (None, None))[0] and middle:
        # the fan-out's and the fan-in's hand-over: root end -> first middle start, last middle end -> join start
        out["root_end_to_first_middle_start_s"] = round((min(s for s, _ in middle) - by_id["root"][1]).total_seconds(), 3)
        out["last_middle_end_to_join_start_s"] = round((by_id["join"][0] - max(e for _, e in middle)).total_seconds(), 3)
    if span > 0:  # tasks/s in each tenth of the span: shows whether the rate holds up as the run goes on
        first = min(starts)
        tenths = [0] * 10
        for end in ends:
            tenths[min(9, int((end - first).total_seconds() / span * 10))] += 1
        out["tasks_per_s_by_tenth"] = [round(c / (span / 10), 1) for c in tenths]
    if triggered and run_end:
        total = (run_end - triggered).total_seconds()
        out.update(trigger_to_success_s=round(total, 3), tasks_per_s_incl_start=round(len(tasks) / total, 2))
    return out


# --- Levante: `levante dev` --------------------------------------------------------------------------------


def api_call(base: str, token: str, method: str, path: str, body: dict | None = None) -> Any:
    import urllib.request

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def run_levante_dev(folder: Path, logs: Path, workers: int, timeout: float) -> dict[str, Any]:
    from chalicelib.store.timefmt import parse_iso

    ports = {"LEVANTE_UI_PORT": free_port(), "LEVANTE_API_PORT": free_port(), "LEVANTE_MOTO_PORT": free_port()}
    token = "bench-throughput-token-" + os.urandom(8).hex()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LEVANTE_")},
           **{k: str(v) for k, v in ports.items()}, "LEVANTE_ADMIN_TOKEN": token}
    base = f"http://127.0.0.1:{ports['LEVANTE_API_PORT']}/api/v1"
    with open(logs / "levante-dev.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "chalicelib.cli", "dev", "--dags-folder", str(folder),
                                 "--concurrency", str(workers)], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def alive() -> None:
        if proc.poll() is not None:
            raise RuntimeError(f"levante dev exited ({proc.returncode}):\n{(logs / 'levante-dev.log').read_text()[-3000:]}")

    try:
        started = time.perf_counter()
        wait_until(lambda: http_answers(base + "/health"), timeout=180, what="levante dev API", interval=0.2, check=alive)
        healthy_s = time.perf_counter() - started
        wait_until(lambda: _dag_listed(base, token), timeout=300, what=f"DAG {DAG_ID} in levante dev", interval=0.5,
                   check=alive)
        triggered = datetime.now(UTC)
        api_call(base, token, "POST", f"/dags/{DAG_ID}/dagRuns", {"dag_run_id": "bench"})
        run_path = f"/dags/{DAG_ID}/dagRuns/bench"
        # Every 2 s, not faster: a run's view reads all its task instances (to price the run), and moto's
        # answers to a poll of 1,002 items took half the stack's time at 0.25 s (docs/costs.md). The figures come
        # from the stored start and end times, not from when this loop noticed the end.
        wait_until(lambda: api_call(base, token, "GET", run_path)["state"] in ("success", "failed"),
                   timeout=timeout, what="levante dev run", interval=2.0, check=alive)
        run = api_call(base, token, "GET", run_path)
        tis = api_call(base, token, "GET", run_path + "/taskInstances")["task_instances"]
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # levante dev stops its children on Ctrl-C
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        _kill_leftovers(f"LEVANTE_MOTO_PORT={ports['LEVANTE_MOTO_PORT']}")
    rows = [(t["task_id"], t["state"], _date(t["start_date"], parse_iso), _date(t["end_date"], parse_iso)) for t in tis]
    return {"system": f"levante dev (moto server, scheduler every 2 s, levante worker --concurrency {workers})",
            "run_state": run["state"], "start_to_healthy_s": round(healthy_s, 2),
            **measures(rows, triggered, _date(run["end_date"], parse_iso))}


def _kill_leftovers(marker: str) -> None:
    """levante dev's children run in sessions of their own: should one outlive it (seen twice under heavy
    load), find it by this stack's unique moto port in its environment and kill it."""
    mine = marker.encode()
    for entry in Path("/proc").glob("[0-9]*"):
        if entry.name == str(os.getpid()):
            continue
        try:
            if mine in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
                print(f"warning: killed a leftover levante dev process {entry.name}", file=sys.stderr)
        except (OSError, ValueError):
            continue


def _dag_listed(base: str, token: str) -> bool:
    try:
        return api_call(base, token, "GET", f"/dags/{DAG_ID}")["dag_id"] == DAG_ID
    except OSError:
        return False


def _date(value: str | None, parse: Any) -> datetime | None:
    return parse(value) if value else None


# --- Levante: `levante dags test` ------------------------------------------------------------------------------


def run_dags_test(folder: Path) -> dict[str, Any]:
    started = datetime.now(UTC)
    proc = subprocess.run([sys.executable, "-m", "chalicelib.cli", "dags", "test", DAG_ID, "--dags-folder", str(folder),
                           "--output", "json", "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=3600)
    ended = datetime.now(UTC)
    if proc.returncode != 0:
        raise RuntimeError(f"levante dags test failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    payload = json.loads(proc.stdout)
    rows = [(t["task_id"], t["state"], _date(t["start_date"], datetime.fromisoformat),
             _date(t["end_date"], datetime.fromisoformat)) for t in payload["task_instances"]]
    return {"system": "levante dags test (in-process runner, one task at a time)", "run_state": payload["state"],
            **measures(rows, started, ended)}


# --- Apache Airflow 3.3, LocalExecutor -----------------------------------------------------------------------------


def airflow_version(python: str) -> str | None:
    try:
        proc = subprocess.run([python, "-c", "import airflow; print(airflow.__version__)"], capture_output=True,
                              text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def run_airflow(python: str, version: str, folder: Path, work: Path, workers: int, slots: int,
                timeout: float) -> dict[str, Any]:
    stack = AirflowStack(python, work, folder, parallelism=workers, max_active_tasks=slots)
    try:
        t0 = time.perf_counter()
        stack.start()
        stack.wait_for_dag(DAG_ID, timeout=300)
        ready_s = time.perf_counter() - t0
        run = stack.run(DAG_ID, "bench", timeout=timeout)
    finally:
        survivors = stack.stop()
        if survivors:
            print(f"warning: Airflow processes survived: {survivors}", file=sys.stderr)
    return {"system": f"Apache Airflow {version}, LocalExecutor (parallelism {workers}), SQLite, "
                      "api-server + dag-processor + scheduler",
            "run_state": run["state"], "migrate_start_and_parse_s": round(ready_s, 2),
            "cli_trigger_s": round(run["cli_trigger_s"], 2),
            **measures(run["task_instances"], run["queued_at"], run["end_date"])}


# --- main -------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000, help="parallel tasks between root and join (default 1000)")
    parser.add_argument("--workers", type=int, default=4, help="worker processes, both systems (default 4)")
    parser.add_argument("--airflow-python", help="a Python with apache-airflow 3.3 installed (e.g. /work/airflow-venv/bin/python)")
    parser.add_argument("--skip-levante-dev", action="store_true")
    parser.add_argument("--skip-dags-test", action="store_true")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per run (default 3600)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "throughput.json"))
    args = parser.parse_args()
    slots = args.tasks + 16
    results: dict[str, Any] = {
        "dag": f"{DAG_ID}: root -> {args.tasks} parallel PythonOperator(noop) -> join ({args.tasks + 2} task instances)",
        "max_active_tasks": slots, "workers": args.workers, "cpus": os.cpu_count(), "machine": platform.platform(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"), "load_average_at_start": os.getloadavg(),
        "note": "shared machine: other sessions' tests and benchmarks ran at the same time; see the load averages",
        "systems": {},
    }
    with tempfile.TemporaryDirectory(prefix="throughput-") as tmp:
        work = Path(tmp)
        folder = work / "dags"
        folder.mkdir()
        (folder / f"{DAG_ID}.py").write_text(DAG.format(dag_id=DAG_ID, n=args.tasks, slots=slots))
        if not args.skip_levante_dev:
            _progress("levante dev ...")
            results["systems"]["levante_dev"] = run_levante_dev(folder, work, args.workers, args.timeout)
        if not args.skip_dags_test:
            _progress("levante dags test ...")
            results["systems"]["levante_dags_test"] = run_dags_test(folder)
        version = airflow_version(args.airflow_python) if args.airflow_python else None
        if version:
            _progress(f"Airflow {version} LocalExecutor ...")
            results["systems"]["airflow_local_executor"] = run_airflow(args.airflow_python, version, folder, work,
                                                                       args.workers, slots, args.timeout)
        else:
            results["airflow_skipped"] = ("no --airflow-python given" if not args.airflow_python
                                          else f"{args.airflow_python} cannot import airflow")
            _progress(f"Airflow skipped: {results['airflow_skipped']}")
    results["load_average_at_end"] = os.getloadavg()
    print(json.dumps(results, indent=2, default=str))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))


def _progress(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
