"""Airflow's own example DAGs that use what wave 2 added (setup/teardown, branch labels, short circuit,
latest only, datetime branching, sensors, trigger controller/target, external task marker, dynamic task
mapping, assets).

They are Airflow's files, so they are not copied into this repository: the tests read them from an
Airflow 3.3 install (`LEVANTE_AIRFLOW_VENV`, default /work/airflow-venv) and skip when there is none.
`expected_examples.json` holds what real Airflow 3.3.2 recorded for them (record_airflow_examples.py).
"""

from __future__ import annotations

import os
from pathlib import Path

AIRFLOW_VENV = Path(os.environ.get("LEVANTE_AIRFLOW_VENV", "/work/airflow-venv"))
LOGICAL_DATE = "2024-06-01"

# dag_id -> the example file, relative to the installed `airflow` package
EXAMPLES: dict[str, str] = {
    "example_setup_teardown": "example_dags/example_setup_teardown.py",
    "example_setup_teardown_taskflow": "example_dags/example_setup_teardown_taskflow.py",
    "example_branch_labels": "example_dags/example_branch_labels.py",
    "example_trigger_target_dag": "example_dags/example_trigger_target_dag.py",
    "example_short_circuit_operator": "providers/standard/example_dags/example_short_circuit_operator.py",
    "latest_only": "providers/standard/example_dags/example_latest_only.py",
    "example_branch_datetime_operator": "providers/standard/example_dags/example_branch_datetime_operator.py",
    "example_branch_datetime_operator_3": "providers/standard/example_dags/example_branch_datetime_operator.py",
    "example_trigger_controller_dag": "providers/standard/example_dags/example_trigger_controller_dag.py",
    "example_external_task_marker_parent": "providers/standard/example_dags/example_external_task_marker_dag.py",
    "example_sensors": "providers/standard/example_dags/example_sensors.py",
    # dynamic task mapping (one file, three DAGs) and mapped classic operators
    "example_dynamic_task_mapping": "example_dags/example_dynamic_task_mapping.py",
    "example_task_mapping_second_order": "example_dags/example_dynamic_task_mapping.py",
    "example_task_group_mapping": "example_dags/example_dynamic_task_mapping.py",
    "example_dynamic_task_mapping_with_no_taskflow_operators":
        "example_dags/example_dynamic_task_mapping_with_no_taskflow_operators.py",
    # assets: a producer and a consumer (schedule=[asset]), and the @asset decorator's pair
    "asset_produces_1": "example_dags/example_assets.py",
    "asset_consumes_1": "example_dags/example_assets.py",
    "asset2_producer": "example_dags/example_asset_decorator.py",
    "consumes_asset_decorator": "example_dags/example_asset_decorator.py",
}


def airflow_package() -> Path | None:
    found = sorted(AIRFLOW_VENV.glob("lib/python3*/site-packages/airflow"))
    return found[0] if found else None


def copy_examples(target: Path) -> None:
    package = airflow_package()
    assert package is not None
    for relpath in set(EXAMPLES.values()):
        source = package / relpath
        (target / source.name).write_bytes(source.read_bytes())
