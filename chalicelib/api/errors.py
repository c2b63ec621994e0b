"""API errors: each knows its HTTP status; every handler's failure becomes `{"error": ..., "detail": ...}`.

Domain errors of the store (NotFoundError, ConflictError, BadRequestError) map to their own status here and
only here. Anything unexpected is logged with its traceback and answered with a generic 500 body: a
traceback never reaches a client.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.store.errors import BadRequestError, ConflictError, NotFoundError

log = logging.getLogger("levante.api")

_TITLES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
           413: "payload_too_large", 500: "internal_error"}


# The store's domain errors and their HTTP status: here and only here (the store knows no HTTP).
_STORE_ERROR_STATUS = ((NotFoundError, 404), (ConflictError, 409), (BadRequestError, 400))


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


def as_api_error(exc: Exception) -> ApiError:
    """The client-facing form of any exception raised by a handler."""
    if isinstance(exc, ApiError):
        return exc
    for error_class, status in _STORE_ERROR_STATUS:
        if isinstance(exc, error_class):
            return ApiError(status, str(exc))
    log.exception("unhandled error in an API handler")
    return ApiError(500, "an internal error occurred; see the API logs")
