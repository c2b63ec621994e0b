"""End to end: a task prints a connection's password and a secret variable, returns them as XCom and fails
with one in its error. Every GET route of the API, the stored log and the stored error are then searched for
the planted values (and their JSON/URI-encoded forms): only *** may appear."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

PASSWORD = 'pw-"planted"/42'
TOKEN = "tok-planted-9f8e7d"
API_KEY = "key-planted-1234"
PLANTED = (PASSWORD, TOKEN, API_KEY)

DAG = '''
import json
import pendulum
from airflow.sdk import DAG, Variable, task
from airflow.hooks.base import BaseHook

with DAG("leaky", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
    @task
    def leak():
        conn = BaseHook.get_connection("warehouse")
        token = Variable.get("service_token")
        print("password:", conn.password, "token:", token)
        print("uri:", conn.get_uri())
        print(json.dumps({"extra": conn.extra_dejson, "token": token}))
        return {"uri": conn.get_uri(), "token": token, "key": conn.extra_dejson["api_key"]}

    @task
    def fail(_):
        raise RuntimeError("bad token " + Variable.get("service_token"))

    fail(leak())
'''


@pytest.fixture
def dags_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "leaky.py").write_text(DAG)
    return folder


def _forms(value: str) -> set[str]:
    return {value, json.dumps(value)[1:-1], quote(value, safe="")}


def _assert_clean(where: str, text: str) -> None:
    for value in PLANTED:
        for form in _forms(value):
            assert form not in text, f"{value!r} leaked in {where}"


def test_no_planted_secret_in_any_response_log_or_error(api, stack) -> None:
    from chalicelib.api import BLUEPRINTS
    from chalicelib.services.task_views import whole_log
    from chalicelib.store.blobs import rendered_fields_key

    assert api.post("/connections", {"connection_id": "warehouse", "conn_type": "postgres", "host": "db",
                                      "login": "etl", "password": PASSWORD,
                                      "extra": json.dumps({"api_key": API_KEY})}).status == 200
    assert api.post("/variables", {"key": "service_token", "value": TOKEN}).status == 200
    stack.trigger("leaky", run_id="r1")
    stack.drain()
    assert {t: s for t, (s, _) in stack.states("leaky", "r1").items()} == {"leak": "success", "fail": "failed"}

    # What the worker wrote is masked at the source.
    log = whole_log(stack.backend, "leaky", "r1", "leak", 1)
    assert "password: *** token: ***" in log and "uri: postgres://etl:***@db" in log
    _assert_clean("the stored log", log)
    errors = [i.attribute_values.get("error") for i in stack.backend.models.TaskInstance.scan()]
    assert "RuntimeError: bad token ***" in errors
    _assert_clean("the stored errors", json.dumps(errors))

    # The XCom itself keeps the real values (the next task needs them), so the API must mask its view.
    params = {"dag_id": "leaky", "dag_run_id": "r1", "try_number": "1", "variable_key": "service_token",
              "connection_id": "warehouse"}
    seen = 0
    for bp in BLUEPRINTS:
        for op in bp.operations:
            if op.method != "GET":
                continue
            for task_id in ("leak", "fail"):
                path = op.path
                for name, value in {**params, "task_id": task_id}.items():
                    path = path.replace("{" + name + "}", quote(value, safe=""))
                reply = api.get(path)
                assert reply.status < 500, (path, reply)
                _assert_clean(path, reply.text)
                seen += reply.status == 200
    xcoms = api.get("/dags/leaky/dagRuns/r1/taskInstances/leak/xcomEntries").text
    assert "***" in xcoms
    # `fail` renders leak's secrets into its op_args: stored masked by the worker, not only by the API's view.
    # Small ones ride on the task-instance item (Settings.rendered_inline_bytes), large ones in S3: check both.
    item = stack.backend.runs.task_instance("leaky", "r1", "fail")
    stored = item.rendered_inline or stack.backend.blobs.get_text(rendered_fields_key("leaky", "r1", "fail", 1))
    assert "***" in stored
    _assert_clean("the stored rendered fields", stored)
    assert seen > 10
