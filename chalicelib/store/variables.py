"""Airflow Variables for the API: list (a small table, read page by page), get, create, update, delete."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from chalicelib.store.errors import ConflictError, NotFoundError
from chalicelib.store.models import Models


class VariableRepository:
    def __init__(self, models: Models):
        self.m = models

    def page(self, *, limit: int, offset: int) -> tuple[list[Any], int]:
        """Variables sorted by key and the total. The table holds configuration, not history: a Scan is
        bounded by how many variables people define (hundreds), never by how much work has run."""
        items = sorted(self.m.Variable.scan(), key=lambda i: i.key)
        return items[offset:offset + limit], len(items)

    def get(self, key: str) -> Any:
        try:
            return self.m.Variable.get(key, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFoundError(f"variable {key!r} not found", cause=exc) from exc

    def create(self, key: str, value: str, description: str | None) -> Any:
        Variable = self.m.Variable
        item = Variable(key, val=value, description=description)
        try:
            item.save(condition=Variable.key.does_not_exist())
        except PutError as exc:
            if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
                raise ConflictError(f"variable {key!r} already exists", cause=exc) from exc
            raise
        return item

    def update(self, key: str, value: str | None, description: str | None, *, set_description: bool) -> Any:
        Variable = self.m.Variable
        item = self.get(key)
        if value is not None:
            item.val = value
        if set_description:
            item.description = description
        item.save(condition=Variable.key.exists())
        return item

    def delete(self, key: str) -> None:
        Variable = self.m.Variable
        try:
            Variable(key).delete(condition=Variable.key.exists())
        except DeleteError as exc:
            if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
                raise NotFoundError(f"variable {key!r} not found", cause=exc) from exc
            raise
