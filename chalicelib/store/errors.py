"""Domain errors of the metadata store; the API maps each to its HTTP status, the CLI to a message."""

from __future__ import annotations

from typing import Any


class StoreError(Exception):
    status = 500


class NotFoundError(StoreError):
    status = 404


class ConflictError(StoreError):
    status = 409


class BadRequestError(StoreError):
    status = 400


def conditional_failed(exc: Exception) -> bool:
    """True when a PynamoDB write failed only because its condition did not hold (someone else won)."""
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def update_if(item: Any, *, condition: Any, actions: list[Any]) -> bool:
    """A conditional UpdateItem: True if it applied, False if the condition no longer held."""
    from pynamodb.exceptions import UpdateError

    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if conditional_failed(exc):
            return False
        raise
    return True
