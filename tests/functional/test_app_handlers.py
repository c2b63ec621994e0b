"""The Chalice entry points with real-shaped events: scheduled tick and SQS worker, through chalice.test.Client."""

from __future__ import annotations

from pathlib import Path

import pytest

DAG = '''
import pendulum
from airflow.sdk import dag, task

@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def two_steps():
    @task
    def first():
        return 20

    @task
    def second(x):
        print("got", x)
        return x + 1

    second(first())

two_steps()
'''


@pytest.fixture
def wired_app(backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import app as app_module
    from chalicelib.services.dagcache import DagCache
    from chalicelib.store.bundles import BundleStore

    (tmp_path / "two_steps.py").write_text(DAG)
    empty = tmp_path / "package-has-no-dags"  # the deployment package carries no DAGs: they come from bundles
    empty.mkdir()
    monkeypatch.setattr(app_module, "DAGS_FOLDER", str(empty))
    dags = DagCache(str(empty), fetch=BundleStore(backend.blobs, cache_root=str(tmp_path / "cache")).fetch)
    monkeypatch.setattr(app_module, "_runtime", {"adapters": (backend, dags)})
    return app_module


def test_scheduler_and_worker_handlers_run_a_dag(wired_app, backend) -> None:
    from datetime import UTC, datetime

    from chalice.test import Client

    from chalicelib.services.bundles import publish_folder
    from chalicelib.services.trigger import trigger_run
    from chalicelib.taskqueue import SqsTaskQueue

    manifest, _ = publish_folder(backend, str(wired_app.DAGS_FOLDER).rsplit("/", 1)[0], datetime.now(UTC))
    with Client(wired_app.app) as client:
        processed = client.lambda_.invoke("dag_processor", {"Records": [{"s3": {"object": {"key": "bundles/current.json"}}}]})
        assert processed.payload["version"] == manifest.version and processed.payload["import_errors"] == 0
        tick = client.lambda_.invoke("scheduler", client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
        assert tick.payload["runs_created"] == 0
        run = trigger_run(backend, "two_steps", now=datetime.now(UTC))
        queue = SqsTaskQueue(backend.settings)
        # One worker invocation runs first, then second: first hands second to its own worker (services/handoff.py)
        [message] = queue.receive(max_messages=10, wait_seconds=0)
        event = client.events.generate_sqs_event(message_bodies=[message["Body"]], queue_name=backend.settings.queue_name)
        client.lambda_.invoke("worker", event)
        queue.delete(message["ReceiptHandle"])
        assert queue.receive(max_messages=10, wait_seconds=0) == []  # second never went through the queue
    final = backend.runs.get("two_steps", run.run_id)
    assert final.state.value == "success" and final.bundle_version == manifest.version
    states = {i.task_id: (i.state, int(i.try_number)) for i in backend.runs.task_instances("two_steps", run.run_id)}
    assert states == {"first": ("success", 1), "second": ("success", 1)}
    from chalicelib.services.task_views import whole_log

    assert "got 20" in whole_log(backend, "two_steps", run.run_id, "second", 1)


def test_worker_handler_raises_on_a_poison_message(wired_app) -> None:
    from chalice.test import Client

    from chalicelib.services.task_consumer import PoisonMessage

    with Client(wired_app.app) as client:
        event = client.events.generate_sqs_event(message_bodies=["not json"], queue_name="q")
        with pytest.raises(PoisonMessage):
            client.lambda_.invoke("worker", event)
