#!/usr/bin/env python3
"""Record expected_examples.json: real Airflow 3.3's `airflow dags test DAG_ID 2024-06-01` on Airflow's own
example DAGs listed in airflow_examples.py (NOT run in CI; needs the Airflow venv, see README.md).

    python3 tests/conformance/record_airflow_examples.py --airflow /work/airflow-venv/bin/airflow [DAG_ID ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import airflow_examples  # noqa: E402
import record_expected  # noqa: E402

EXPECTED = Path(__file__).resolve().parent / "expected_examples.json"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--airflow", default="/work/airflow-venv/bin/airflow")
    ap.add_argument("--log-dir", default="/tmp/levante-conformance-logs")
    ap.add_argument("dag_ids", nargs="*")
    args = ap.parse_args()
    dags = Path(tempfile.mkdtemp(prefix="airflow-examples-"))
    airflow_examples.copy_examples(dags)
    record_expected.DAGS_DIR = dags
    scratch = Path(tempfile.mkdtemp(prefix="levante-airflow-homes-"))
    template = scratch / "_template"
    template.mkdir()
    subprocess.run([args.airflow, "db", "migrate"], check=True, capture_output=True, env=record_expected.base_env(template))
    log_dir = Path(args.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    existing = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {"dags": {}}
    for dag_id in args.dag_ids or sorted(airflow_examples.EXAMPLES):
        _, result = record_expected.run_one(args.airflow, template / "airflow.db", scratch, log_dir, dag_id,
                                            airflow_examples.LOGICAL_DATE)
        existing["dags"][dag_id] = result
    existing["airflow_version"] = record_expected.airflow_version(args.airflow)
    existing["logical_date"] = airflow_examples.LOGICAL_DATE
    EXPECTED.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
