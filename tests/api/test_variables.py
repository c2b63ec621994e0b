"""Variables: CRUD for admins, secret-looking values masked on read, validation and conflicts."""

from __future__ import annotations

from tests.api.conftest import XSS


def test_variable_crud(api) -> None:
    reply = api.post("/variables", {"key": "region", "value": "eu-west-1", "description": XSS})
    assert reply.status == 200 and reply.json == {"key": "region", "value": "eu-west-1", "description": XSS,
                                                  "is_masked": False}
    assert api.get("/variables/region").json["value"] == "eu-west-1"
    assert api.patch("/variables/region", {"value": "us-east-1"}).json["value"] == "us-east-1"
    assert api.patch("/variables/region", {"description": None}).json["description"] is None
    listed = api.get("/variables").json
    assert listed["total_entries"] == 1 and listed["variables"][0]["key"] == "region"
    assert api.delete("/variables/region").status == 204
    assert api.get("/variables/region").status == 404
    assert api.delete("/variables/region").status == 404


def test_secret_looking_values_are_masked(api, stack) -> None:
    for key in ("db_password", "API_KEY", "slack_token", "my-secret", "aws_access_token", "gcp_private_key"):
        assert api.post("/variables", {"key": key, "value": "hunter2"}).status == 200
        assert api.get(f"/variables/{key}").json["value"] == "***", key
    assert all(v["value"] == "***" for v in api.get("/variables").json["variables"])
    from chalicelib.services.variables import TaskVariableStore

    # Stored as given, in the secrets store (tests/api/test_connections.py checks where).
    assert TaskVariableStore(stack.backend.models, stack.backend.secrets).get_variable("db_password") == "hunter2"


def test_variable_errors(api) -> None:
    assert api.post("/variables", {"key": "k", "value": "v"}).status == 200
    assert api.post("/variables", {"key": "k", "value": "v"}).status == 409
    for body in ({"key": "k2"}, {"key": "k2", "value": 3}, {"key": "", "value": "v"}, {"key": "k2", "value": "v", "x": 1},
                 {"key": "k" * 251, "value": "v"}, {"key": "k2", "value": "v" * 100_001}):
        assert api.post("/variables", body).status == 400, body
    assert api.patch("/variables/k", {"key": "other", "value": "v"}).status == 400
    assert api.patch("/variables/k", {}).status == 400
    assert api.patch("/variables/missing", {"value": "v"}).status == 404
