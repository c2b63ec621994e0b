"""Authentication and role boundaries on every route; CORS; the error body shape."""

from __future__ import annotations

import pytest

from tests.api.conftest import TOKENS, run_path

WRITES_BY_OPERATOR = [
    ("POST", "/dags/pipeline/dagRuns", {}),
    ("PATCH", "/dags/pipeline", {"is_paused": True}),
    ("POST", "/dags/pipeline/clearTaskInstances", {"dag_run_id": "r"}),
    ("POST", run_path("pipeline", "r") + "/clear", {}),
    ("PATCH", run_path("pipeline", "r"), {"state": "failed"}),
    ("PATCH", run_path("pipeline", "r") + "/taskInstances/extract", {"new_state": "success"}),
    ("DELETE", run_path("pipeline", "r"), None),
]
ADMIN_ONLY = [
    ("GET", "/variables", None),
    ("POST", "/variables", {"key": "k", "value": "v"}),
    ("GET", "/variables/k", None),
    ("PATCH", "/variables/k", {"value": "v"}),
    ("DELETE", "/variables/k", None),
]


def test_health_needs_no_credentials(api) -> None:
    reply = api.get("/health", role=None)
    assert reply.status == 200 and reply.json == {"status": "ok"}


def test_every_other_route_needs_a_token(api) -> None:
    import app as app_module

    for path, entry in app_module.app.routes.items():
        for method in entry:
            if path.endswith("/health"):
                continue
            concrete = path.replace("/api/v1", "").replace("{try_number}", "1")
            for name in ("dag_id", "dag_run_id", "task_id", "variable_key"):
                concrete = concrete.replace("{" + name + "}", "x")
            missing = api.call(method, concrete, role=None)
            assert missing.status == 401, (method, path, missing)
            assert missing.headers["www-authenticate"].startswith("Bearer")
            bad = api.call(method, concrete, role=None, headers={"Authorization": "Bearer wrong-token"})
            assert bad.status == 401 and bad.json["error"] == "unauthorized", (method, path)


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "bearer  ", TOKENS["admin"], "Token " + TOKENS["admin"]])
def test_malformed_authorization_headers_are_401(api, header: str) -> None:
    assert api.get("/dags", role=None, headers={"Authorization": header}).status == 401


def test_lowercase_bearer_scheme_is_accepted(api) -> None:
    assert api.get("/dags", role=None, headers={"Authorization": f"bearer {TOKENS['viewer']}"}).status == 200


def test_viewer_reads_but_cannot_operate(api, stack) -> None:
    stack.trigger("pipeline", run_id="r")
    assert api.get("/dags", role="viewer").status == 200
    assert api.get(run_path("pipeline", "r"), role="viewer").status == 200
    for method, path, body in WRITES_BY_OPERATOR + ADMIN_ONLY:
        reply = api.call(method, path, body=body, role="viewer")
        assert reply.status == 403, (method, path, reply)
        assert reply.json["error"] == "forbidden"
    assert stack.backend.runs.get("pipeline", "r").state.value == "running"  # nothing happened


def test_operator_operates_but_cannot_touch_variables(api, stack) -> None:
    stack.trigger("pipeline", run_id="r")
    for method, path, body in ADMIN_ONLY:
        assert api.call(method, path, body=body, role="operator").status == 403, (method, path)
    assert api.post("/dags/pipeline/dagRuns", {}, role="operator").status == 200
    assert api.patch("/dags/pipeline", {"is_paused": True}, role="operator").status == 200


def test_no_configured_tokens_means_nothing_is_readable(api, monkeypatch) -> None:
    for role in TOKENS:
        monkeypatch.delenv(f"LEVANTE_{role.upper()}_TOKEN")
    assert api.get("/dags").status == 401
    assert api.get("/health", role=None).status == 200


def test_whoami_reports_the_role(api) -> None:
    assert {r: api.get("/whoami", role=r).json["role"] for r in TOKENS} == {r: r for r in TOKENS}


def test_cors_allows_only_the_dashboard_origin(api) -> None:
    reply = api.get("/dags", headers={"Origin": "http://localhost:8080"})
    assert reply.headers["access-control-allow-origin"] == "http://localhost:8080"
    import app as app_module

    for entry in app_module.app.routes.values():
        for route in entry.values():
            assert route.cors.allow_origin == "http://localhost:8080"


def test_cors_origin_refuses_wildcard(monkeypatch) -> None:
    from chalicelib.api.routing import cors_config

    monkeypatch.setenv("LEVANTE_UI_ORIGIN", "https://levante.example.com")
    assert cors_config().allow_origin == "https://levante.example.com"
    monkeypatch.setenv("LEVANTE_UI_ORIGIN", "*")
    with pytest.raises(ValueError):
        cors_config()


def test_unexpected_errors_are_generic_500_without_traceback(api, monkeypatch) -> None:
    from chalicelib.services import dag_views

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(dag_views, "list_dags", explode)
    reply = api.get("/dags")
    assert reply.status == 500
    assert reply.json == {"error": "internal_error", "detail": "an internal error occurred; see the API logs"}
    assert "Traceback" not in reply.text and "passwd" not in reply.text


def test_token_table_compares_every_token() -> None:
    from chalicelib.api.auth import Role, TokenTable

    table = TokenTable.from_env({"LEVANTE_ADMIN_TOKEN": "a" * 20, "LEVANTE_VIEWER_TOKEN": "v" * 20})
    assert table.role_of("a" * 20) is Role.ADMIN and table.role_of("v" * 20) is Role.VIEWER
    assert table.role_of("x") is None and table.role_of("") is None
