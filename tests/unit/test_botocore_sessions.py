"""Every PynamoDB connection's botocore session shares one data loader (store/botocore_sessions.py), so
DynamoDB's service model is read from botocore's JSON files once per process, not once per table."""

from __future__ import annotations

import threading

from chalicelib.store.models import build_models
from chalicelib.store.settings import Settings


def _loader_of(model):
    return model._get_connection().connection.session.get_component("data_loader")  # noqa: SLF001


def test_the_tables_of_two_stacks_share_one_loader():
    first = build_models(Settings(prefix="loader-a", stage="test"))
    second = build_models(Settings(prefix="loader-b", stage="test"))
    loaders = {id(_loader_of(m)) for m in (first.Dag, first.TaskInstance, first.Meta, second.DagRun, second.XCom)}
    assert len(loaders) == 1


def test_a_session_made_in_another_thread_shares_it_too():
    models = build_models(Settings(prefix="loader-c", stage="test"))
    main = _loader_of(models.Dag)
    seen = []
    thread = threading.Thread(target=lambda: seen.append(_loader_of(models.Dag)))  # PynamoDB: a session per thread
    thread.start()
    thread.join()
    assert seen == [main]


def test_the_shared_loader_reads_the_service_model_once():
    models = build_models(Settings(prefix="loader-d", stage="test"))
    loader = _loader_of(models.Dag)
    loaded = loader.load_service_model("dynamodb", "service-2")
    assert _loader_of(models.TaskInstance).load_service_model("dynamodb", "service-2") is loaded  # cached, not re-read
