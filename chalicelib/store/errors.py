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


def update_if(item: Any, *, condition: Any, actions: list[Any], returning: str = "NONE") -> bool:
    """A conditional UpdateItem: True if it applied, False if the condition no longer held.

    `returning` is what DynamoDB sends back into `item`: NONE (the caller needs only whether the write
    applied), UPDATED_NEW (only the attributes this write set) or ALL_NEW (the whole item, for a caller that
    goes on with it). Asking for less costs no capacity either way, but the whole item is parsed on both ends:
    on Lambda that is billed time, and on moto a third of a conditional write's time.
    """
    from pynamodb.exceptions import UpdateError

    try:
        if returning == "ALL_NEW":
            item.update(actions=actions, condition=condition)
        else:
            _update_returning(item, actions, condition, returning)
    except UpdateError as exc:
        if conditional_failed(exc):
            return False
        raise
    return True


def _update_returning(item: Any, actions: list[Any], condition: Any, returning: str) -> None:
    """Model.update with another ReturnValues (PynamoDB 6 always asks for ALL_NEW). Levante's models have no
    version attribute, the one thing Model.update adds to the request."""
    hash_key, range_key = item._get_hash_range_key_serialized_values()  # noqa: SLF001 - PynamoDB's own key serialisation
    data = item._get_connection().update_item(hash_key, range_key=range_key, actions=actions,  # noqa: SLF001
                                              condition=condition, return_values=returning)
    if returning != "NONE":
        item.deserialize(data.get("Attributes", {}))
