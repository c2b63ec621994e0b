"""Print how many DAG files of a corpus load in Levante's DagBag (and in real Airflow, when installed).

The corpus is third-party code (public Airflow projects, listed in SOURCES.md with repository, path and
commit), so it is not committed: it lives outside the repository, by default in /work/corpus/public_dags
with a `dev/` half (fixed against) and a `heldout/` half (only measured). Each file is loaded alone, in its
own process and an otherwise empty folder, as a new user dropping it into `dags/` would.

    python tests/corpus/measure_load_rate.py                       # both halves, Levante only
    python tests/corpus/measure_load_rate.py heldout --airflow /work/airflow-venv/bin/python -v
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = Path(os.environ.get("LEVANTE_PUBLIC_DAGS", "/work/corpus/public_dags"))

LEVANTE_PROBE = """
import json, sys
from chalicelib.loader.dagbag import DagBag
bag = DagBag(sys.argv[1])
errors = [str(e) for e in bag.import_errors.values()]
print(json.dumps({"dags": len(bag.dags), "errors": errors}))
"""

AIRFLOW_PROBE = """
import json, sys
try:  # Airflow 3.3
    from airflow.dag_processing.dagbag import DagBag
    bag = DagBag(dag_folder=sys.argv[1])
except ImportError:  # Airflow 3.0-3.2
    from airflow.models.dagbag import DagBag
    bag = DagBag(dag_folder=sys.argv[1], include_examples=False)
errors = [f"{k}: {v.strip().splitlines()[-1] if v.strip() else v}" for k, v in bag.import_errors.items()]
print(json.dumps({"dags": len(bag.dags), "errors": errors}))
"""


def probe(python: str, code: str, dag_file: Path, env: dict[str, str]) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(dag_file, folder)
        try:
            proc = subprocess.run([python, "-c", code, folder], capture_output=True, text=True, timeout=120,
                                  cwd=REPO_ROOT, env=env)
        except subprocess.TimeoutExpired:
            return {"dags": 0, "errors": ["timed out"]}
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"dags": 0, "errors": [f"probe crashed: {proc.stderr.strip().splitlines()[-1:]}"]}
    return json.loads(lines[-1])


def loaded(result: dict) -> bool:
    return result["dags"] > 0 and not result["errors"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("halves", nargs="*", default=["dev", "heldout"])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--airflow", help="python of a venv with apache-airflow 3.3 and its standard provider")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per file with its first error")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus {args.corpus} not found: collect it as tests/corpus/SOURCES.md says", file=sys.stderr)
        return 2
    airflow_home = tempfile.mkdtemp(prefix="airflow-home-")
    airflow_env = {**os.environ, "AIRFLOW_HOME": airflow_home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    for half in args.halves:
        files = sorted((args.corpus / half).glob("*.py"))
        ok_levante = ok_airflow = 0
        for dag_file in files:
            lev = probe(sys.executable, LEVANTE_PROBE, dag_file, dict(os.environ))
            ok_levante += loaded(lev)
            line = f"  {'ok  ' if loaded(lev) else 'FAIL'} levante"
            if args.airflow:
                air = probe(args.airflow, AIRFLOW_PROBE, dag_file, airflow_env)
                ok_airflow += loaded(air)
                line += f" | {'ok  ' if loaded(air) else 'FAIL'} airflow"
            if args.verbose:
                detail = (lev["errors"] or [""])[0].replace("\n", " ")[:150]
                print(f"{line}  {dag_file.name}  {detail}")
        n = len(files)
        summary = f"{half}: Levante loads {ok_levante}/{n} ({ok_levante / max(n, 1):.0%})"
        if args.airflow:
            summary += f"; Airflow loads {ok_airflow}/{n} ({ok_airflow / max(n, 1):.0%})"
        print(summary)
    shutil.rmtree(airflow_home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
