"""`levante dags list/trigger/pause --api URL --token T`, with HTTP routed into chalice.test.Client."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import TOKENS


@pytest.fixture
def remote(api, monkeypatch):
    from chalicelib.cli import remote
    from chalicelib.cli.errors import CliError

    def request(self, method, path, body=None):
        assert self.base == "http://api.test/api/v1"
        reply = api.call(method, path, body=body, role=None, headers={"Authorization": f"Bearer {self.token}"})
        if reply.status >= 400:
            raise CliError(f"API {method} {path}: {reply.status} {reply.json['error']}: {reply.json['detail']}")
        return reply.json

    monkeypatch.setattr(remote.RemoteApi, "request", request)
    monkeypatch.setenv("LEVANTE_API_URL", "http://api.test")
    monkeypatch.delenv("LEVANTE_API_TOKEN", raising=False)
    return api


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    from chalicelib.cli.main import main

    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_remote_list_trigger_pause(remote, capsys) -> None:
    token = TOKENS["operator"]
    code, out, _ = _cli(capsys, "dags", "list", "--token", token, "--output", "json")
    assert code == 0
    listed = json.loads(out)
    assert [d["dag_id"] for d in listed["dags"]] == ["flaky", "pipeline"]
    assert listed["import_errors"][0]["filename"] == "broken.py"
    code, out, _ = _cli(capsys, "dags", "trigger", "pipeline", "--token", token, "--run-id", "cli-1",
                        "--conf", '{"who": "cli"}', "--output", "json")
    assert code == 0
    result = json.loads(out)
    assert result["run_id"] == "cli-1" and result["state"] == "running"
    assert {t["task_id"] for t in result["task_instances"]} == {"extract", "transform", "publish.load"}
    code, out, _ = _cli(capsys, "dags", "pause", "pipeline", "--token", token)
    assert code == 0 and "paused" in out
    assert remote.stack.backend.dags.get("pipeline").is_paused is True


def test_remote_errors_are_cli_errors(remote, capsys) -> None:
    code, _, err = _cli(capsys, "dags", "trigger", "pipeline", "--token", TOKENS["viewer"])
    assert code == 2 and "403" in err
    code, _, err = _cli(capsys, "dags", "pause", "pipeline")
    assert code == 2 and "token" in err


def test_remote_api_url_normalisation() -> None:
    from chalicelib.cli.remote import RemoteApi

    assert RemoteApi("http://h:8000/", "t").base == "http://h:8000/api/v1"
    assert RemoteApi("http://h:8000/api/v1", "t").base == "http://h:8000/api/v1"
