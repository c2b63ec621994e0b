"""Connections (admin only), with Airflow's paths and fields. The password is write-only: it is never in a
response, and extra fields whose names look secret come back as `***`. Values live in the secrets store."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.api import serializers as out
from chalicelib.api.auth import Role
from chalicelib.api.errors import ApiError, BadRequest
from chalicelib.api.routing import ApiBlueprint, Reply, Request
from chalicelib.api.validation import Body, Field, pagination
from chalicelib.sdk.connection import Connection
from chalicelib.services.connections import ConnectionService, public_view

api = ApiBlueprint(__name__, "Connection")
CONNECTION = "/connections/{connection_id}"
_TEXT = Field(str, nullable=True, max_length=1000)
_FIELDS = {"conn_type": Field(str, max_length=100), "description": _TEXT, "host": _TEXT, "login": _TEXT,
           "schema": _TEXT, "port": Field(int, nullable=True, minimum=0, maximum=65535), "password": _TEXT,
           "extra": Field(str, nullable=True, max_length=7000)}


connection = public_view


def _service(req: Request) -> ConnectionService:
    return ConnectionService(req.backend.secrets)


def _extra(body: dict[str, Any]) -> None:
    extra = body.get("extra")
    if extra not in (None, ""):
        try:
            json.loads(extra)
        except ValueError:
            raise BadRequest("'extra' must be a JSON object encoded as a string, e.g. '{\"region\": \"eu-west-1\"}'") from None


@api.operation("GET", "/connections", summary="List connections", role=Role.ADMIN, query=pagination(100, 500))
def list_connections(req: Request) -> dict:
    conns = _service(req).list()
    offset, limit = req.query["offset"], req.query["limit"]
    return out.page("connections", [connection(c) for c in conns[offset:offset + limit]], len(conns))


@api.operation("POST", "/connections", summary="Create a connection", role=Role.ADMIN, errors=(400, 409), body=Body({
    "connection_id": Field(str, required=True, max_length=200, single_line=True), **_FIELDS,
    "conn_type": Field(str, required=True, max_length=100)}))
def create_connection(req: Request) -> dict:
    body = dict(req.body)
    _extra(body)
    conn = Connection(conn_id=body.pop("connection_id"), **body)
    return connection(_service(req).create(conn))


@api.operation("GET", CONNECTION, summary="One connection (password never returned)", role=Role.ADMIN, errors=(404,))
def get_connection(req: Request, connection_id: str) -> dict:
    return connection(_service(req).get(connection_id))


@api.operation("PATCH", CONNECTION, summary="Update a connection's fields", role=Role.ADMIN, errors=(400, 404),
               body=Body({"connection_id": Field(str, max_length=200, single_line=True), **_FIELDS}))
def patch_connection(req: Request, connection_id: str) -> dict:
    body = dict(req.body)
    if body.pop("connection_id", connection_id) != connection_id:
        raise BadRequest("the body's 'connection_id' must match the id in the path (connections cannot be renamed)")
    if not body:
        raise BadRequest("nothing to update: send at least one connection field")
    _extra(body)
    return connection(_service(req).update(connection_id, body))


@api.operation("DELETE", CONNECTION, summary="Delete a connection", role=Role.ADMIN, status=204, errors=(404,))
def delete_connection(req: Request, connection_id: str) -> Reply:
    _service(req).delete(connection_id)
    return Reply(None, 204)


@api.operation("POST", "/connections/test", summary="Test a connection (disabled in the API, as Airflow's default)",
               role=Role.ADMIN, errors=(403,), body=Body({"connection_id": Field(str, max_length=200, single_line=True), **_FIELDS}))
def test_connection(req: Request) -> dict:
    # The API never runs provider code against user-given hosts (Airflow's test_connection = Disabled);
    # `levante connections test CONN_ID` tests from the caller's machine instead.
    raise ApiError(403, "Testing connections is disabled in the API; use `levante connections test CONN_ID`")
