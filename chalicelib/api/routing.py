"""The route table: every API operation declared once, with its role, parameters and body.

`ApiBlueprint.operation` records an `Operation` and the handler; `register` turns them into Chalice
blueprint routes whose view does, for every request: authorize (app-level, since `chalice local` ignores
most authorizers) → parse query and body → call the handler → JSON. The OpenAPI document is generated
from the same table, so it cannot drift from the routes.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from chalice import Blueprint, Chalice, CORSConfig, Response

from chalicelib.api.auth import Role, authorize
from chalicelib.api.errors import BadRequest, as_api_error
from chalicelib.api.validation import Body, Params, Query
from chalicelib.core.inputs import MAX_ID_LENGTH

log = logging.getLogger("levante.api")
DEFAULT_UI_ORIGIN = "http://localhost:8080"
BACKEND_ATTRIBUTE = "levante_backend"  # set on the Chalice app by register_api: a () -> Backend


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # relative to the API prefix, Chalice style: /dags/{dag_id}
    operation_id: str
    summary: str
    tag: str
    role: Role | None  # None: no credentials needed (health only)
    params: Params = field(default_factory=Params)
    body: Body | None = None
    status: int = 200
    errors: tuple[int, ...] = ()

    @property
    def path_params(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]


@dataclass
class Request:
    """What a handler sees: parsed and validated input, the caller's role, the backend, the time."""

    query: dict[str, Any]
    body: dict[str, Any]
    role: Role | None
    now: datetime
    _backend: Callable[[], Any]

    @property
    def backend(self) -> Any:
        return self._backend()


@dataclass
class Reply:
    body: Any
    status: int = 200


Handler = Callable[..., Any]


class ApiBlueprint:
    def __init__(self, import_name: str, tag: str):
        self.import_name = import_name
        self.tag = tag
        self.entries: list[tuple[Operation, Handler]] = []

    @property
    def operations(self) -> list[Operation]:
        return [op for op, _ in self.entries]

    def operation(self, method: str, path: str, *, summary: str, role: Role | None = Role.VIEWER,
                  query: tuple[Query, ...] = (), body: Body | None = None, status: int = 200,
                  errors: tuple[int, ...] = ()) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            op = Operation(method, path, handler.__name__, summary, self.tag, role, Params(tuple(query)), body,
                           status, errors)
            self.entries.append((op, handler))
            return handler
        return decorator

    def blueprint(self, authorizer: Any = None) -> Blueprint:
        bp = Blueprint(self.import_name)
        cors = cors_config()
        for op, handler in self.entries:
            view = _view(bp, op, handler)
            options: dict[str, Any] = {"methods": [op.method], "cors": cors}
            if authorizer is not None and op.role is not None:
                options["authorizer"] = authorizer
            if op.body is not None:
                options["content_types"] = ["application/json"]
            bp.route(op.path, **options)(view)
        return bp


def cors_config() -> CORSConfig:
    """The dashboard's origin only (LEVANTE_UI_ORIGIN), never "*"."""
    origin = os.environ.get("LEVANTE_UI_ORIGIN", DEFAULT_UI_ORIGIN).strip() or DEFAULT_UI_ORIGIN
    if origin == "*":
        raise ValueError("LEVANTE_UI_ORIGIN must name the dashboard's origin, not '*'")
    return CORSConfig(allow_origin=origin, allow_headers=["Authorization", "Content-Type"], max_age=600)


def _view(bp: Blueprint, op: Operation, handler: Handler) -> Callable[..., Response]:
    def view(**path_params: str) -> Response:
        request = bp.current_request
        try:
            role = authorize(request.headers, op.role) if op.role is not None else None
            req = Request(op.params.parse(request.query_params),
                          op.body.parse(request.raw_body) if op.body is not None else {},
                          role, datetime.now(UTC), getattr(bp.current_app, BACKEND_ATTRIBUTE))
            # chalice local hands path parameters over still percent-encoded (run ids hold ':' and '+').
            result = handler(req, **{name: _path_param(name, value) for name, value in path_params.items()})
            result = _masked(req, result)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a JSON error; 500s are logged
            error = as_api_error(exc)
            return json_response(error.body(), error.status, error.headers)
        if isinstance(result, Reply):
            if result.body is None:
                return Response(body="", status_code=result.status, headers={"Cache-Control": "no-store"})
            return json_response(result.body, result.status)
        return json_response(result, op.status)

    view.__name__ = op.operation_id
    view.__qualname__ = op.operation_id
    return view


def _masked(req: Request, result: Any) -> Any:
    """No response carries a value of the secrets store in clear (logs, XComs, errors, conf, sources)."""
    if req.role is None:
        return result
    masker = req.backend.response_masker.current()
    if not masker:
        return result
    if isinstance(result, Reply):
        return Reply(masker.redact(result.body, by_key=False), result.status) if result.body is not None else result
    return masker.redact(result, by_key=False)


def _path_param(name: str, raw: str) -> str:
    # Only looked up, never used to build a key: any stored id stays addressable (a legacy run id with
    # a newline can still be deleted); the length bound keeps DynamoDB from refusing the key with a 500.
    value = unquote(raw)
    if len(value) > MAX_ID_LENGTH:
        raise BadRequest(f"path parameter {name!r} is longer than {MAX_ID_LENGTH} characters")
    return value


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=to_json(body), status_code=status, headers={
        "Content-Type": "application/json", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
        **(headers or {}),
    })


def to_json(body: Any) -> str:
    # <, > and & escaped as \u003c... : still the same JSON strings, but inert even if some client ever
    # drops the response into HTML.
    # allow_nan=False: Infinity and NaN are not JSON, and one of them once kept the dashboard's grid on
    # "Loading..."; the readers turn stored non-finite numbers into null before they get here.
    text = json.dumps(body, separators=(",", ":"), default=_default, ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate stored before validation: \uXXXX escapes are still JSON
        text = json.dumps(body, separators=(",", ":"), default=_default, ensure_ascii=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


# Chalice's own error bodies ({"Code", "Message"}) for what it refuses before a view runs.
_CHALICE_CODES = {"MethodNotAllowedError": "method_not_allowed", "UnsupportedMediaType": "unsupported_media_type",
                  "BadRequest": "bad_request", "BadRequestError": "bad_request", "NotFoundError": "not_found",
                  "InternalServerError": "internal_error"}


def error_envelope(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Chalice middleware: errors Chalice answers itself (405, 415...) in the API's `{"error","detail"}` form."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
        error = _CHALICE_CODES.get(str(body["Code"]), "error")
        detail = str(body["Message"])
        if response.status_code == 415:
            detail += "; send the body as application/json"
        elif response.status_code == 405 and "Allow" in headers:
            detail += f"; allowed: {headers['Allow']}"
        return json_response({"error": error, "detail": detail}, response.status_code, headers)
    return response


def register(app: Chalice, blueprints: list[ApiBlueprint], backend: Callable[[], Any], url_prefix: str,
             authorizer: Any = None) -> None:
    setattr(app, BACKEND_ATTRIBUTE, backend)
    app.register_middleware(error_envelope, "http")
    for api in blueprints:
        app.register_blueprint(api.blueprint(authorizer), url_prefix=url_prefix)
