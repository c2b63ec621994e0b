"""`levante connections ...` and `levante variables ...` on the store directly (moto), with Airflow's flags."""

from __future__ import annotations

import json

import pytest

from chalicelib.cli.main import main


@pytest.fixture
def cli(backend, monkeypatch, capsys):
    monkeypatch.setenv("LEVANTE_PREFIX", backend.settings.prefix)
    monkeypatch.setenv("LEVANTE_STAGE", backend.settings.stage)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_connections_add_get_list_delete(cli) -> None:
    code, out, _ = cli("connections", "add", "warehouse", "--conn-uri",
                       "postgresql://etl:s3cr3t-pw@db.example.com:5432/analytics?sslmode=require")
    assert code == 0 and "Successfully added `conn_id`=warehouse" in out and "s3cr3t-pw" not in out
    assert "postgres://etl:***@db.example.com:5432/analytics" in out
    code, out, _ = cli("connections", "add", "api", "--conn-type", "http", "--conn-host", "api.example.com",
                       "--conn-password", "tok-123456", "--conn-extra", '{"api_key": "k-987654", "timeout": 5}')
    assert code == 0
    code, out, _ = cli("connections", "get", "api", "-o", "json")
    [shown] = json.loads(out)
    assert shown["host"] == "api.example.com" and json.loads(shown["extra"]) == {"api_key": "***", "timeout": 5}
    assert "password" not in shown and "tok-123456" not in out
    code, out, _ = cli("connections", "list", "-o", "json")
    assert [c["connection_id"] for c in json.loads(out)] == ["api", "warehouse"]
    assert cli("connections", "add", "api", "--conn-type", "http")[0] == 2  # exists
    assert cli("connections", "delete", "api")[0] == 0
    code, _, err = cli("connections", "get", "api")
    assert code == 2 and "not found" in err


def test_connections_add_rejects_bad_input(cli) -> None:
    for argv, message in ((("x",), "must supply either --conn-uri"),
                          (("x", "--conn-uri", "nonsense"), "is not a URI"),
                          (("x", "--conn-uri", "http://h", "--conn-host", "h"), "give the connection once"),
                          (("x", "--conn-type", "http", "--conn-extra", "{bad"), "invalid connection"),
                          (("bad id", "--conn-type", "http"), "invalid connection id")):
        code, _, err = cli("connections", "add", *argv)
        assert code == 2 and message in err, (argv, err)


def test_connections_test_resolves_env_first(cli, monkeypatch, tmp_path) -> None:
    db = tmp_path / "x.db"
    monkeypatch.setenv("AIRFLOW_CONN_LOCAL_DB", f"sqlite://{str(db).replace('/', '%2F')}")
    code, out, _ = cli("connections", "test", "local_db")
    assert code == 0 and "Connection success" in out
    monkeypatch.setenv("AIRFLOW_CONN_BROKEN", "postgres://u:p@127.0.0.1:1/db")
    code, _, err = cli("connections", "test", "broken")
    assert code == 1 and "Connection failed" in err
    assert cli("connections", "test", "missing")[0] == 2


def test_variables_set_get_list_delete(cli, backend) -> None:
    assert cli("variables", "set", "region", "eu-west-1")[0] == 0
    assert cli("variables", "set", "limits", '{"max": 3}', "-j")[0] == 0
    assert cli("variables", "set", "db_password", "pw-123456")[0] == 0
    assert cli("variables", "get", "region")[1] == "eu-west-1\n"
    assert json.loads(cli("variables", "get", "limits", "-j")[1]) == {"max": 3}
    assert cli("variables", "get", "nope", "--default", "fallback")[1] == "fallback\n"
    assert cli("variables", "get", "nope")[0] == 1
    listed = {v["key"]: v["value"] for v in json.loads(cli("variables", "list", "-o", "json")[1])}
    assert listed == {"db_password": "***", "limits": '{\n  "max": 3\n}', "region": "eu-west-1"}
    assert backend.secrets.get("variables", "db_password") == "pw-123456"  # in the secrets store, not DynamoDB
    assert cli("variables", "delete", "db_password")[0] == 0
    assert cli("variables", "get", "db_password")[0] == 1
