#!/usr/bin/env python3
"""Record provider_expected.json: the provider DAGs (provider_dags/) under REAL Airflow 3 and its providers.

NOT run in CI. Needs a separate venv with Airflow and the providers the DAGs import, e.g.::

    /work/airflow-venv/bin/pip install "apache-airflow==3.3.2" apache-airflow-providers-http \
        apache-airflow-providers-sqlite apache-airflow-providers-postgres
    python3 tests/conformance/record_providers.py --airflow /work/airflow-venv/bin/airflow [DAG_ID ...]

The services come from provider_services.py, fresh for each DAG (the same scripts the tests start), and
reach the DAG through AIRFLOW_CONN_* variables. Each run uses record_expected.py's private AIRFLOW_HOME.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import provider_services as services  # noqa: E402
import record_expected as recorder  # noqa: E402

DAGS = HERE / "provider_dags"
EXPECTED = HERE / "provider_expected.json"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--airflow", default=os.environ.get("AIRFLOW_BIN", "/work/airflow-venv/bin/airflow"))
    ap.add_argument("--log-dir", default="/tmp/levante-provider-logs")
    ap.add_argument("dag_ids", nargs="*")
    args = ap.parse_args()
    recorder.DAGS_DIR = DAGS  # base_env() points Airflow at this folder
    log_dir = Path(args.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="levante-providers-"))
    template = scratch / "template"
    template.mkdir()
    subprocess.run([args.airflow, "db", "migrate"], env=recorder.base_env(template), check=True, capture_output=True)
    expected = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {"dags": {}}
    expected["airflow_version"] = recorder.airflow_version(args.airflow)
    for dag_id in args.dag_ids or sorted(p.stem for p in DAGS.glob("*.py")):
        with services.ScriptedHttpServer() as http, services.PostgresServer() as pg:
            env = services.connection_env(http_port=http.port, sqlite_path=str(scratch / f"{dag_id}.db"),
                                          postgres_uri=pg.uri)
            os.environ.update(env)
            _, result = recorder.run_one(args.airflow, template / "airflow.db", scratch, log_dir, dag_id, None)
        expected["dags"][dag_id] = result
    EXPECTED.write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
