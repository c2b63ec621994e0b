"""Domain errors of the metadata store; the API maps each to its HTTP status, the CLI to a message."""

from __future__ import annotations


class StoreError(Exception):
    status = 500


class NotFoundError(StoreError):
    status = 404


class ConflictError(StoreError):
    status = 409


class BadRequestError(StoreError):
    status = 400
