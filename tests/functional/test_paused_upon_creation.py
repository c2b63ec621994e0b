"""A DAG's own `is_paused_upon_creation` decides whether it starts paused, over the installation's default;
once the DAG is stored it changes nothing (Airflow's rule: only the first creation reads it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.services.sync import sync_dags

T0 = datetime(2026, 12, 1, tzinfo=UTC)

DAGS = '''
import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

for dag_id, flag in (("asks_paused", True), ("asks_running", False), ("says_nothing", None)):
    with DAG(dag_id, schedule="@daily", start_date=pendulum.datetime(2026, 1, 1), is_paused_upon_creation=flag) as dag:
        EmptyOperator(task_id="only")
    globals()[dag_id] = dag
'''


def _paused(backend) -> dict[str, bool]:
    return {d: backend.dags.get(d).is_paused for d in ("asks_paused", "asks_running", "says_nothing")}


@pytest.mark.parametrize("default", ["true", "false"])
def test_the_dag_flag_wins_over_the_default_at_creation(backend, tmp_path, monkeypatch, default):
    monkeypatch.setenv("LEVANTE_DAGS_PAUSED_AT_CREATION", default)
    (tmp_path / "flags.py").write_text(DAGS)
    sync_dags(backend, str(tmp_path), T0, source=f"flags-{default}")
    assert _paused(backend) == {"asks_paused": True, "asks_running": False, "says_nothing": default == "true"}


def test_an_existing_dag_keeps_the_pause_someone_set(backend, tmp_path, monkeypatch):
    monkeypatch.setenv("LEVANTE_DAGS_PAUSED_AT_CREATION", "false")
    (tmp_path / "flags.py").write_text(DAGS)
    sync_dags(backend, str(tmp_path), T0, source="keeps")
    backend.dags.set_paused("asks_paused", False, T0)
    backend.dags.set_paused("asks_running", True, T0)
    (tmp_path / "flags.py").write_text(DAGS + "\n# edited: every DAG is stored again\n")
    result = sync_dags(backend, str(tmp_path), T0, source="keeps")
    assert result.written == 3
    assert _paused(backend) == {"asks_paused": False, "asks_running": True, "says_nothing": False}


def test_a_dag_that_does_not_set_it_keeps_its_stored_spec_hash(backend, tmp_path):
    """Upgrading must not record a new version of every DAG: the unset flag is not in the stored spec."""
    from chalicelib.core.spec import DagSpec

    (tmp_path / "flags.py").write_text(DAGS)
    specs = sync_dags(backend, str(tmp_path), T0, source="hash").specs
    assert "is_paused_upon_creation" not in specs["says_nothing"].to_dict()
    assert specs["asks_paused"].to_dict()["is_paused_upon_creation"] is True
    assert DagSpec.from_dict(specs["asks_running"].to_dict()).is_paused_upon_creation is False
