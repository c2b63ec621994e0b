"""The OpenAPI 3 document, generated from the route table (chalicelib.api.BLUEPRINTS): it matches the routes."""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata
from typing import Any

from chalicelib.api.routing import Operation

ERROR_SCHEMA = {"type": "object", "required": ["error", "detail"],
                "properties": {"error": {"type": "string"}, "detail": {"type": "string"}}}
DESCRIPTIONS = {200: "OK", 204: "No content", 400: "Invalid input", 401: "Missing or invalid token",
                403: "The token's role does not allow this", 404: "Not found", 409: "Conflict",
                413: "Request body too large", 415: "The body is not application/json", 500: "Internal error"}
INTEGER_PATH_PARAMS = {"try_number"}


def levante_version() -> str:
    try:
        return metadata.version("levante")
    except metadata.PackageNotFoundError:
        return "0.1.0"


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    from chalicelib.api import BLUEPRINTS, URL_PREFIX

    paths: dict[str, dict[str, Any]] = {}
    for api in BLUEPRINTS:
        for op in api.operations:
            paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Levante REST API", "version": levante_version(),
                 "description": "Airflow-style stable REST API of Levante. Roles: viewer (read), operator "
                                "(trigger, clear, mark, pause), admin (variables, everything)."},
        "servers": [{"url": URL_PREFIX}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
        },
    }


def _operation(op: Operation) -> dict[str, Any]:
    spec: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag]}
    if op.role is None:
        spec["security"] = []
    else:
        spec["x-levante-role"] = op.role.label
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "integer", "minimum": 1} if name in INTEGER_PATH_PARAMS else {"type": "string"}}
                  for name in op.path_params]
    parameters += [{"name": q.name, "in": "query", "required": False, "schema": q.schema(),
                    **({"description": q.description} if q.description else {})} for q in op.params.queries]
    if parameters:
        spec["parameters"] = parameters
    if op.body is not None:
        spec["requestBody"] = {"required": op.body.required,
                               "content": {"application/json": {"schema": op.body.schema()}}}
    responses: dict[str, Any] = {}
    if op.status == 204:
        responses["204"] = {"description": DESCRIPTIONS[204]}
    else:
        responses[str(op.status)] = {"description": DESCRIPTIONS.get(op.status, "OK"),
                                     "content": {"application/json": {"schema": {"type": "object"}}}}
    errors = set(op.errors) | ({400} if op.params.queries or op.body else set()) | {500}
    if op.body is not None:
        errors |= {413, 415}
    if op.role is not None:
        errors |= {401, 403}
    for status in sorted(errors):
        responses[str(status)] = {"description": DESCRIPTIONS[status],
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    spec["responses"] = responses
    return spec
