"""The DAG processor stores many DAGs in batches (store/dags.py upsert_many): a first sync of 250 DAGs from
one file is a few dozen DynamoDB requests, the shared source goes to S3 once, every DAG gets its first
version record; a DAG that changes later is updated in place, keeping a pause made meanwhile."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.services.sync import sync_dags
from chalicelib.store.dags import DagRepository

T0 = datetime(2026, 12, 1, tzinfo=UTC)
MANY = 250

FILE = '''
import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

for i in range({n}):
    with DAG(f"many_{{i:03d}}", schedule="@daily" if i % 2 else None, start_date=pendulum.datetime(2026, 1, 1),
             description="{description}") as dag:
        EmptyOperator(task_id="only")
    globals()[dag.dag_id] = dag
'''


@pytest.fixture
def requests(backend) -> Counter:
    """DynamoDB and S3 requests by operation, from the clients' own events."""
    seen: Counter = Counter()
    clients = {id(c): c for c in [backend.blobs.client] + [  # each model may hold a client of its own
        m._get_connection().connection.client for m in (backend.models.Dag, backend.models.Meta)]}  # noqa: SLF001
    for client in clients.values():
        client.meta.events.register("before-call", lambda model, **_: seen.update([model.name]))
    return seen


def test_a_first_sync_of_many_dags_is_a_few_dozen_requests(backend, tmp_path, requests):
    (tmp_path / "many.py").write_text(FILE.format(n=MANY, description="first"))
    result = sync_dags(backend, str(tmp_path), T0, source="many")
    assert result.written == MANY
    assert requests["GetItem"] == 0 and requests["UpdateItem"] == 0
    assert requests["PutItem"] == 1  # the DAG counts the list shows
    assert requests["BatchGetItem"] == 3  # 100 keys each
    # 250 version records and 250 DAG items, 25 a request
    assert 20 <= requests["BatchWriteItem"] <= 22
    assert requests["PutObject"] == MANY + 1  # each spec version, and the one source they share
    stored = backend.dags.get("many_007")
    assert stored.relpath == "many.py" and stored.spec.description == "first" and not stored.is_paused
    assert stored.next_run_after is not None and backend.dags.get("many_006").next_run_after is None
    assert [v["version_number"] for v in backend.dags.versions("many_249")] == [1]
    item = backend.models.Dag.get("many_123")
    assert backend.dags.specs.source_of_item(item) == (tmp_path / "many.py").read_text()


def test_a_changed_dag_keeps_a_pause_made_while_the_processor_worked(backend, tmp_path, monkeypatch):
    (tmp_path / "many.py").write_text(FILE.format(n=3, description="first"))
    sync_dags(backend, str(tmp_path), T0, source="pause")
    store_changed = DagRepository._store_changed

    def pause_first(self: DagRepository, item: Any) -> None:
        if item.dag_id == "many_001":  # the user pauses after the processor read the item, before it wrote
            backend.dags.set_paused("many_001", True, T0)
        store_changed(self, item)

    monkeypatch.setattr(DagRepository, "_store_changed", pause_first)
    (tmp_path / "many.py").write_text(FILE.format(n=3, description="second"))
    assert sync_dags(backend, str(tmp_path), T0, source="pause").written == 3
    changed = backend.dags.get("many_001")
    assert changed.is_paused and changed.spec.description == "second"
    assert [v["version_number"] for v in backend.dags.versions("many_001")] == [2, 1]


ASSETS = '''
import pendulum
from airflow.sdk import DAG, Asset, task

with DAG("produces", schedule=None, start_date=pendulum.datetime(2026, 1, 1)):
    @task(outlets=[Asset("orders", uri="s3://lake/orders")])
    def write():
        return 1
    write()

with DAG("consumes", schedule=[Asset("orders", uri="s3://lake/orders")], start_date=pendulum.datetime(2026, 1, 1)):
    @task
    def read():
        return 2
    read()
'''


def test_an_unchanged_sync_writes_nothing(backend, tmp_path, requests):
    """Not even the asset registrations of DAGs that produce or consume assets."""
    (tmp_path / "many.py").write_text(FILE.format(n=30, description="same"))
    (tmp_path / "assets.py").write_text(ASSETS)
    sync_dags(backend, str(tmp_path), T0, source="same")
    requests.clear()
    assert sync_dags(backend, str(tmp_path), T0, deactivate=False).written == 0  # a CLI sync: parses again
    assert not {"BatchWriteItem", "UpdateItem", "PutItem", "PutObject"} & set(requests)
