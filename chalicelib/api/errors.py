"""API errors: each knows its HTTP status; every handler's failure becomes `{"error": ..., "detail": ...}`.

Domain errors of the store (NotFoundError, ConflictError, BadRequestError) map to their own status here and
only here. Anything unexpected is logged with its traceback and answered with a generic 500 body: a
traceback never reaches a client.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.store.errors import StoreError

log = logging.getLogger("levante.api")

_TITLES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
           413: "payload_too_large", 500: "internal_error"}


class ApiError(Exception):
    def __init__(self, status: int, detail: str, error: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.error = error or _TITLES.get(status, "error")
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "detail": self.detail}


class BadRequest(ApiError):
    def __init__(self, detail: str):
        super().__init__(400, detail)


class NotFound(ApiError):
    def __init__(self, detail: str):
        super().__init__(404, detail)


def as_api_error(exc: Exception) -> ApiError:
    """The client-facing form of any exception raised by a handler."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, StoreError) and exc.status < 500:
        return ApiError(exc.status, str(exc))
    log.exception("unhandled error in an API handler")
    return ApiError(500, "an internal error occurred; see the API logs")
