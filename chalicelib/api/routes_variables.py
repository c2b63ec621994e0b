"""Variables (admin only): values of keys that look secret are masked on read, as Airflow masks them, and
live in the secrets store (chalicelib/services/variables.py), never in a DynamoDB item."""

from __future__ import annotations

from typing import Any

from chalicelib.api import serializers as out
from chalicelib.api.auth import Role
from chalicelib.api.errors import BadRequest
from chalicelib.api.routing import ApiBlueprint, Reply, Request
from chalicelib.api.validation import Body, Field, pagination
from chalicelib.core.inputs import text_problem
from chalicelib.sdk.masker import MASK, should_hide_value_for_key
from chalicelib.services.variables import VariableService

api = ApiBlueprint(__name__, "Variable")
VARIABLE = "/variables/{variable_key}"
MAX_VALUE = 100_000
KEY_FIELD = Field(str, required=True, max_length=250, single_line=True)


is_sensitive = should_hide_value_for_key


def variable(item: Any) -> dict:
    return {"key": item.key, "value": MASK if is_sensitive(item.key) else item.value, "description": item.description,
            "is_masked": is_sensitive(item.key)}


def _service(req: Request) -> VariableService:
    return VariableService(req.backend.models, req.backend.secrets)


def _check_key(key: str) -> str:
    if not key or len(key) > 250 or not key.isprintable() or "/" in key or text_problem(key) is not None:
        raise BadRequest("a variable key is 1-250 printable characters, without '/' or bidirectional controls")
    return key


@api.operation("GET", "/variables", summary="List variables", role=Role.ADMIN, query=pagination(100, 500))
def list_variables(req: Request) -> dict:
    items, total = _service(req).page(limit=req.query["limit"], offset=req.query["offset"])
    return out.page("variables", [variable(i) for i in items], total)


@api.operation("POST", "/variables", summary="Create a variable", role=Role.ADMIN, errors=(400, 409), body=Body({
    "key": KEY_FIELD, "value": Field(str, required=True, max_length=MAX_VALUE),
    "description": Field(str, nullable=True, max_length=1000)}))
def create_variable(req: Request) -> dict:
    b = req.body
    item = _service(req).create(_check_key(b["key"]), b["value"], b.get("description"))
    return variable(item)


@api.operation("GET", VARIABLE, summary="One variable", role=Role.ADMIN, errors=(404,))
def get_variable(req: Request, variable_key: str) -> dict:
    return variable(_service(req).get(variable_key))


@api.operation("PATCH", VARIABLE, summary="Update a variable's value or description", role=Role.ADMIN,
               errors=(400, 404), body=Body({
                   "key": Field(str, max_length=250, single_line=True), "value": Field(str, max_length=MAX_VALUE),
                   "description": Field(str, nullable=True, max_length=1000)}))
def patch_variable(req: Request, variable_key: str) -> dict:
    b = req.body
    if "key" in b and b["key"] != variable_key:
        raise BadRequest("the body's 'key' must match the key in the path (keys cannot be renamed)")
    if "value" not in b and "description" not in b:
        raise BadRequest("nothing to update: send 'value' and/or 'description'")
    item = _service(req).update(variable_key, b.get("value"), b.get("description"),
                                                         set_description="description" in b)
    return variable(item)


@api.operation("DELETE", VARIABLE, summary="Delete a variable", role=Role.ADMIN, status=204, errors=(404,))
def delete_variable(req: Request, variable_key: str) -> Reply:
    _service(req).delete(variable_key)
    return Reply(None, 204)
