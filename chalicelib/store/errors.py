"""Domain errors of the metadata store. They carry no HTTP status: the API maps each class to one
(`api/errors.py`), the CLI to a message. The AWS/PynamoDB error behind one, if any, stays in `.cause`."""

from __future__ import annotations

from typing import Any


class StoreError(Exception):
    def __init__(self, message: str, *, cause: BaseException | None = None):
        super().__init__(message)
        self.cause = cause


class NotFoundError(StoreError):
    """The item asked for does not exist."""


class ConflictError(StoreError):
    """The write lost to the current state of the item (it exists already, or changed meanwhile)."""


class BadRequestError(StoreError):
    """The value cannot be stored as given."""


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
