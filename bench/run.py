"""Foundation benchmark: `levante dags test` wall time and per-task overhead, peak RSS, SDK+loader import time.

Usage: .venv/bin/python bench/run.py [--repeat N]. Prints a table and writes bench/results/foundation.json.
Reference (Apache Airflow 3.3 `airflow dags test`, same machine kind): 0.097 s/task on a 100-task chain,
0.044 s/task on a 100-task fan-out, 8.6 s for a one-task DAG, ~230 MB RSS, `import airflow` 1.2 s.
Targets: <= 5 ms/task, < 1 s one-task DAG, < 80 MB RSS, SDK + loader import < 150 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = """import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.python import PythonOperator


def noop():
    return None


with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
"""


def write_dags(folder: Path, n: int) -> None:
    one = HEADER.format(dag_id="one_task") + "    PythonOperator(task_id='t0', python_callable=noop)\n"
    chain = HEADER.format(dag_id=f"chain_{n}") + (
        f"    tasks = [PythonOperator(task_id=f't{{i}}', python_callable=noop) for i in range({n})]\n"
        "    for a, b in zip(tasks, tasks[1:]):\n        a >> b\n"
    )
    fan = HEADER.format(dag_id=f"fanout_{n}") + (
        "    root = PythonOperator(task_id='root', python_callable=noop)\n"
        f"    root >> [PythonOperator(task_id=f't{{i}}', python_callable=noop) for i in range({n - 1})]\n"
    )
    for name, text in (("one_task", one), (f"chain_{n}", chain), (f"fanout_{n}", fan)):
        (folder / f"{name}.py").write_text(text)


def time_dags_test(folder: Path, dag_id: str) -> tuple[float, int]:
    """(wall seconds, peak RSS KiB) of one `levante dags test` process."""
    code = (
        "import resource, sys, runpy; sys.argv = ['levante'] + sys.argv[1:];"
        "from chalicelib.cli.main import main; rc = main(sys.argv[1:]);"
        "sys.stderr.write('MAXRSS=%d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(rc)"
    )
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, "dags", "test", dag_id, "--dags-folder", str(folder), "--output", "json", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{dag_id} failed: {proc.stderr[-2000:]}")
    rss = int(re.search(r"MAXRSS=(\d+)", proc.stderr).group(1))
    return wall, rss


def import_time_ms() -> float:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import chalicelib.loader.dagbag, chalicelib.sdk, chalicelib.runner.inprocess"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    total = 0
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S+)$", line)  # top level only
        if match and match.group(2).startswith("chalicelib"):
            total += int(match.group(1))
    wall = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import chalicelib.loader.dagbag, chalicelib.sdk"], cwd=ROOT, check=True)
        wall.append(time.perf_counter() - start)
    bare = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], cwd=ROOT, check=True)
        bare.append(time.perf_counter() - start)
    return total / 1000, (statistics.median(wall) - statistics.median(bare)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.tasks
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_dags(folder, n)
        results: dict[str, dict[str, float]] = {}
        for dag_id in ("one_task", f"chain_{n}", f"fanout_{n}"):
            runs = [time_dags_test(folder, dag_id) for _ in range(args.repeat)]
            results[dag_id] = {"wall_s": statistics.median(r[0] for r in runs), "max_rss_mb": max(r[1] for r in runs) / 1024}
    base = results["one_task"]["wall_s"]
    for dag_id in (f"chain_{n}", f"fanout_{n}"):
        results[dag_id]["per_task_ms"] = (results[dag_id]["wall_s"] - base) / (n - 1) * 1000
    cumulative_ms, wall_ms = import_time_ms()
    results["import"] = {"chalicelib_cumulative_ms": cumulative_ms, "process_overhead_ms": wall_ms}
    print(f"{'case':<14} {'wall s':>8} {'per task ms':>12} {'max RSS MB':>11}")
    for dag_id in ("one_task", f"chain_{n}", f"fanout_{n}"):
        r = results[dag_id]
        print(f"{dag_id:<14} {r['wall_s']:>8.3f} {r.get('per_task_ms', float('nan')):>12.2f} {r['max_rss_mb']:>11.1f}")
    print(f"import chalicelib (SDK + loader + runner): {cumulative_ms:.1f} ms (-X importtime), "
          f"{wall_ms:.1f} ms over a bare interpreter start")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "foundation.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "0")
    main()
