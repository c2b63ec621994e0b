"""Health (no credentials), version, the caller's role, and the OpenAPI document."""

from __future__ import annotations

from chalicelib.api.openapi import document, levante_version
from chalicelib.api.routing import ApiBlueprint, Request

api = ApiBlueprint(__name__, "Meta")
API_VERSION = "1"


@api.operation("GET", "/health", summary="Liveness (no credentials needed)", role=None)
def get_health(req: Request) -> dict:
    # Cheap on purpose: unauthenticated callers must not be able to make it read the metadata store.
    return {"status": "ok"}


@api.operation("GET", "/version", summary="Levante and API versions")
def get_version(req: Request) -> dict:
    return {"version": levante_version(), "api_version": API_VERSION, "git_version": None}


@api.operation("GET", "/whoami", summary="The role of the caller's token")
def get_whoami(req: Request) -> dict:
    return {"role": req.role.label if req.role else None}


@api.operation("GET", "/openapi.json", summary="This API's OpenAPI 3 document")
def get_openapi(req: Request) -> dict:
    return document()
