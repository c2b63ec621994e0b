#!/usr/bin/env python3
"""Regenerate tests/conformance/expected.json from a REAL Apache Airflow 3 install.

NOT run in CI.  It needs a separate virtualenv with Airflow, e.g.::

    python3.11 -m venv /tmp/airflow-venv
    /tmp/airflow-venv/bin/pip install "apache-airflow==3.*" apache-airflow-providers-standard
    python3 tests/conformance/record_expected.py --airflow /tmp/airflow-venv/bin/airflow [--jobs 2] [DAG_ID ...]

What it does, for every DAG file in tests/conformance/dags/ (dag_id == file stem):

* builds one template metadata DB (``airflow db migrate``, sqlite) in a scratch dir,
* copies it into a private AIRFLOW_HOME per DAG (so DAGs can run in parallel),
* runs ``airflow dags test DAG_ID [--logical-date]`` with AIRFLOW__CORE__DAGS_FOLDER=<corpus>
  (no logical date by default, exactly like the Levante command in test_conformance.py:
  Airflow then uses "now"; the corpus DAGs are written to be date-independent),
* reads the run it just executed from the sqlite DB (the only dag_run row of that
  private DB): dag_run.state and task_instance (task_id, map_index, state, try_number),
* writes {"airflow_version", "dags": {dag_id: {"state", "task_instances":
  {task_id: {"state", "try_number"}}}}} to expected.json (merging into the existing
  file when DAG ids are given on the command line).

Raw ``dags test`` output, wall time and exit code of each run are kept in
``--log-dir`` (default /tmp/levante-conformance-logs) for inspection.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DAGS_DIR = HERE / "dags"
EXPECTED = HERE / "expected.json"


def base_env(home: Path) -> dict:
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_DIR),
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home}/airflow.db",
    )
    return env


def airflow_version(airflow: str) -> str:
    out = subprocess.run([airflow, "version"], capture_output=True, text=True, check=True,
                         env=base_env(Path(tempfile.mkdtemp())))
    return out.stdout.strip().splitlines()[-1].strip()


def run_one(airflow: str, template_db: Path, scratch: Path, log_dir: Path, dag_id: str,
            logical_date: str | None) -> tuple[str, dict]:
    home = scratch / dag_id
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    shutil.copy(template_db, home / "airflow.db")
    env = base_env(home)
    t0 = time.monotonic()
    cmd = [airflow, "dags", "test", dag_id] + ([logical_date] if logical_date else [])
    proc = subprocess.run(cmd, capture_output=True,
                          text=True, env=env, cwd=str(home))
    elapsed = time.monotonic() - t0
    (log_dir / f"{dag_id}.out").write_text(proc.stdout + "\n----- STDERR -----\n" + proc.stderr)
    con = sqlite3.connect(home / "airflow.db")
    runs = con.execute("SELECT id, run_id, state FROM dag_run WHERE dag_id=? ORDER BY id DESC",
                       (dag_id,)).fetchall()
    if len(runs) != 1:
        raise RuntimeError(f"{dag_id}: expected exactly one dag_run, got {runs}; see {log_dir}/{dag_id}.out")
    _, run_id, run_state = runs[0]
    tis = con.execute(
        "SELECT task_id, map_index, state, try_number FROM task_instance "
        "WHERE dag_id=? AND run_id=? ORDER BY task_id, map_index",
        (dag_id, run_id),
    ).fetchall()
    con.close()
    result = {
        "state": run_state,
        "task_instances": {
            (task_id if map_index == -1 else f"{task_id}[{map_index}]"): {
                "state": state,
                "try_number": try_number,
            }
            for task_id, map_index, state, try_number in tis
        },
    }
    meta = {"exit_code": proc.returncode, "seconds": round(elapsed, 1), "run_id": run_id}
    (log_dir / f"{dag_id}.meta.json").write_text(json.dumps(meta, indent=2))
    print(f"{dag_id}: run={run_state} exit={proc.returncode} {elapsed:.1f}s", file=sys.stderr)
    return dag_id, result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--airflow", default=os.environ.get("AIRFLOW_BIN", "/tmp/airflow-venv/bin/airflow"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--log-dir", default="/tmp/levante-conformance-logs")
    ap.add_argument("--logical-date", default=None, help="e.g. 2024-06-01 (default: none => now)")
    ap.add_argument("dag_ids", nargs="*")
    args = ap.parse_args()

    all_ids = sorted(p.stem for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))
    dag_ids = args.dag_ids or all_ids
    log_dir = Path(args.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="levante-airflow-homes-"))

    template_home = scratch / "_template"
    template_home.mkdir()
    subprocess.run([args.airflow, "db", "migrate"], env=base_env(template_home), check=True,
                   capture_output=True, cwd=str(template_home))
    template_db = template_home / "airflow.db"

    version = airflow_version(args.airflow)
    results: dict[str, dict] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futs = [pool.submit(run_one, args.airflow, template_db, scratch, log_dir, d, args.logical_date)
                for d in dag_ids]
        for fut in concurrent.futures.as_completed(futs):
            dag_id, res = fut.result()
            results[dag_id] = res

    if args.dag_ids and EXPECTED.exists():
        data = json.loads(EXPECTED.read_text())
    else:
        data = {"dags": {}}
    data["airflow_version"] = version
    data["dags"].update(results)
    data["dags"] = dict(sorted(data["dags"].items()))
    data = {"airflow_version": data["airflow_version"], "dags": data["dags"]}
    EXPECTED.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"wrote {EXPECTED} ({len(results)} DAGs recorded)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
