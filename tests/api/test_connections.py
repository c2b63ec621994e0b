"""Connections: Airflow's paths and fields, admin only, password write-only, values only in the secrets store."""

from __future__ import annotations

import json

import boto3

PASSWORD = "s3cr3t-pass-word"
API_KEY = "extra-api-key-value"


def _body(**over):
    return {"connection_id": "warehouse", "conn_type": "postgres", "host": "db.example.com", "login": "etl",
            "password": PASSWORD, "schema": "analytics", "port": 5432,
            "extra": json.dumps({"sslmode": "require", "api_key": API_KEY}), **over}


def _dynamodb_dump(stack) -> str:
    return json.dumps([[item.attribute_values for item in model.scan()] for model in stack.backend.models.all()],
                      default=str)


def test_connection_crud_never_returns_the_password(api, stack) -> None:
    reply = api.post("/connections", _body())
    assert reply.status == 200, reply
    assert reply.json == {"connection_id": "warehouse", "conn_type": "postgres", "description": None,
                          "host": "db.example.com", "login": "etl", "schema": "analytics", "port": 5432,
                          "extra": json.dumps({"sslmode": "require", "api_key": "***"})}
    assert api.get("/connections/warehouse").json == reply.json
    listed = api.get("/connections").json
    assert listed["total_entries"] == 1 and listed["connections"] == [reply.json]
    patched = api.patch("/connections/warehouse", {"host": "db2.example.com", "port": None}).json
    assert patched["host"] == "db2.example.com" and patched["port"] is None
    for text in (reply.text, api.get("/connections").text, json.dumps(patched)):
        assert PASSWORD not in text and API_KEY not in text

    # Stored whole, encrypted, in the stage's SSM path; nothing of it in DynamoDB.
    ssm = boto3.client("ssm", region_name="us-east-1")
    name = f"/{stack.backend.settings.base}/connections/warehouse"
    param = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert param["Type"] == "SecureString"
    stored = json.loads(param["Value"])
    assert stored["password"] == PASSWORD and stored["host"] == "db2.example.com"
    assert PASSWORD not in _dynamodb_dump(stack) and "warehouse" not in _dynamodb_dump(stack)

    assert api.delete("/connections/warehouse").status == 204
    assert api.get("/connections/warehouse").status == 404
    assert api.delete("/connections/warehouse").status == 404


def test_connection_errors_and_roles(api) -> None:
    assert api.post("/connections", _body()).status == 200
    assert api.post("/connections", _body()).status == 409
    for bad in (_body(connection_id="has space"), _body(connection_id=""), _body(port="x"), _body(extra="{not json"),
                {"connection_id": "no_type"}, _body(unknown=1), _body(password="p" * 9000)):
        reply = api.post("/connections", bad)
        assert reply.status == 400 and reply.json["detail"], (bad, reply)
    assert api.patch("/connections/warehouse", {"connection_id": "other"}).status == 400
    assert api.patch("/connections/warehouse", {}).status == 400
    assert api.patch("/connections/missing", {"host": "h"}).status == 404
    assert api.get("/connections", role="viewer").status == 403
    assert api.get("/connections", role="operator").status == 403
    assert api.post("/connections/test", _body()).status == 403


def test_secret_variables_live_in_the_secrets_store(api, stack) -> None:
    assert api.post("/variables", {"key": "db_password", "value": "hunter2-long"}).status == 200
    assert api.post("/variables", {"key": "region", "value": "eu-west-1"}).status == 200
    ssm = boto3.client("ssm", region_name="us-east-1")
    name = f"/{stack.backend.settings.base}/variables/db_password"
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "hunter2-long"
    assert "hunter2-long" not in _dynamodb_dump(stack)
    listed = {v["key"]: v["value"] for v in api.get("/variables").json["variables"]}
    assert listed == {"db_password": "***", "region": "eu-west-1"}
    assert api.post("/variables", {"key": "db_password", "value": "again"}).status == 409
    assert api.patch("/variables/db_password", {"value": "rotated-value"}).json["value"] == "***"
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "rotated-value"
    assert api.delete("/variables/db_password").status == 204
    assert api.get("/variables/db_password").status == 404
    assert api.post("/variables", {"key": "bad key/password", "value": "v"}).status == 400
