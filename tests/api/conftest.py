"""The API through chalice.test.Client against moto: a synced DAGs folder, tokens for each role."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.functional.conftest import aws_env, backend, mocked_aws  # noqa: F401 - fixtures
from tests.functional.harness import Stack

TOKENS = {"admin": "admin-token-0123456789abcdef", "operator": "operator-token-0123456789ab",
          "viewer": "viewer-token-0123456789abcdef"}
XSS = '<script>alert("x")</script><img src=x onmouseover="alert(1)"><a href="javascript:alert(2)">'

DAG = '''
import pendulum
from airflow.sdk import DAG, Param, task
from airflow.sdk import TaskGroup

XSS = __XSS__

with DAG("pipeline", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), tags=["etl", XSS],
         description="loads things " + XSS, doc_md="# Pipeline\\n" + XSS, default_args={"owner": "data"},
         params={"who": Param("world", type="string", description=XSS)}) as dag:
    @task
    def extract():
        print("extracting " + XSS)
        return {"rows": 3, "html": XSS}

    @task(retries=2, retry_delay=0)
    def transform(data):
        return data["rows"] * 2

    n = transform(extract())
    with TaskGroup("publish", tooltip="publish step"):
        @task
        def load(n):
            print("loaded", n)

        load(n)
'''.replace("__XSS__", repr(XSS))

FAILING = '''
import pendulum
from airflow.sdk import DAG, task

with DAG("flaky", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), tags=["ops"]) as dag:
    @task
    def first():
        return 1

    @task
    def boom(x):
        import os
        if not os.environ.get("LEVANTE_TEST_BOOM_OK"):
            raise RuntimeError("boom")
        return x

    @task
    def after(x):
        return x

    after(boom(first()))
'''

BROKEN = "from airflow.sdk import DAG\nimport nonexistent_module_xyz\n"


@pytest.fixture
def dags_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "pipeline.py").write_text(DAG)
    (folder / "flaky.py").write_text(FAILING)
    (folder / "broken.py").write_text(BROKEN)
    return folder


@pytest.fixture
def stack(backend, dags_folder: Path) -> Stack:  # noqa: F811
    stack = Stack(backend, dags_folder)
    stack.sync()
    return stack


@pytest.fixture
def api(stack: Stack, monkeypatch: pytest.MonkeyPatch):
    from chalice.test import Client

    import app as app_module

    for role, token in TOKENS.items():
        monkeypatch.setenv(f"LEVANTE_{role.upper()}_TOKEN", token)
    monkeypatch.setattr(app_module, "_runtime", {"adapters": (stack.backend, stack.dags)})
    with Client(app_module.app) as client:
        yield Api(client, stack)


class Api:
    def __init__(self, client: Any, stack: Stack):
        self.client = client
        self.stack = stack

    def call(self, method: str, path: str, *, role: str | None = "admin", body: Any = None,
             headers: dict[str, str] | None = None, raw: str | None = None):
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if role is not None:
            all_headers["Authorization"] = f"Bearer {TOKENS[role]}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = getattr(self.client.http, method.lower())(f"/api/v1{path}", headers=all_headers, body=payload)
        return Reply(response)

    def get(self, path: str, **kw):
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw):
        return self.call("POST", path, body=body, **kw)

    def patch(self, path: str, body: Any = None, **kw):
        return self.call("PATCH", path, body=body, **kw)

    def delete(self, path: str, **kw):
        return self.call("DELETE", path, **kw)


class Reply:
    def __init__(self, response: Any):
        self.status = response.status_code
        self.headers = {k.lower(): v for k, v in response.headers.items()}
        self.text = response.body.decode() if isinstance(response.body, bytes) else (response.body or "")
        self.json = json.loads(self.text) if self.text else None

    def __repr__(self) -> str:
        return f"<{self.status} {self.text[:300]}>"


def run_path(dag_id: str, run_id: str) -> str:
    from urllib.parse import quote

    return f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}"
