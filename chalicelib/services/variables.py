"""Variables in two places: plain ones in DynamoDB, secret-named ones in the secrets store.

A key is secret by Airflow's rule (it contains `password`, `secret`, `token`, ...). Such a value is written
to an SSM SecureString only, never to a DynamoDB item; reads look in the secrets store first and fall back to
DynamoDB for secret-named variables written before the secrets store existed.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.sdk.masker import should_hide_value_for_key
from chalicelib.store.errors import BadRequestError, ConflictError, NotFoundError
from chalicelib.store.models import Models
from chalicelib.store.secrets import VARIABLES, SecretsStore, SecretTooLarge
from chalicelib.store.variables import VariableRepository


@dataclass(frozen=True)
class VariableEntry:
    key: str
    value: str
    description: str | None
    in_secrets_store: bool = False


class VariableService:
    def __init__(self, models: Models, secrets: SecretsStore):
        self.plain = VariableRepository(models)
        self.secrets = secrets

    def page(self, *, limit: int, offset: int) -> tuple[list[VariableEntry], int]:
        entries = {i.key: VariableEntry(i.key, i.val, i.description) for i in self.plain.page(limit=10**9, offset=0)[0]}
        for key, value in self.secrets.items(VARIABLES):
            entries[key] = VariableEntry(key, value, None, True)
        ordered = [entries[k] for k in sorted(entries)]
        return ordered[offset:offset + limit], len(ordered)

    def get(self, key: str) -> VariableEntry:
        if should_hide_value_for_key(key):
            value = self.secrets.get(VARIABLES, key)
            if value is not None:
                return VariableEntry(key, value, None, True)
        item = self.plain.get(key)
        return VariableEntry(item.key, item.val, item.description)

    def create(self, key: str, value: str, description: str | None) -> VariableEntry:
        if should_hide_value_for_key(key):
            if self._exists(key):
                raise ConflictError(f"variable {key!r} already exists")
            self._put_secret(key, value, description)
            return VariableEntry(key, value, None, True)
        item = self.plain.create(key, value, description)
        return VariableEntry(item.key, item.val, item.description)

    def update(self, key: str, value: str | None, description: str | None, *, set_description: bool) -> VariableEntry:
        if should_hide_value_for_key(key):
            current = self.get(key)
            if not current.in_secrets_store:  # a legacy DynamoDB item: move it to the secrets store
                self.plain.delete(key)
            new_value = value if value is not None else current.value
            self._put_secret(key, new_value, description)
            return VariableEntry(key, new_value, None, True)
        item = self.plain.update(key, value, description, set_description=set_description)
        return VariableEntry(item.key, item.val, item.description)

    def upsert(self, key: str, value: str, description: str | None = None) -> None:
        """`Variable.set` and `levante variables set`: create or overwrite."""
        if should_hide_value_for_key(key):
            self._put_secret(key, value, description)
            return
        try:
            self.plain.create(key, value, description)
        except ConflictError:
            self.plain.update(key, value, description, set_description=description is not None)

    def delete(self, key: str) -> None:
        deleted = False
        if should_hide_value_for_key(key) and self.secrets.get(VARIABLES, key) is not None:
            self.secrets.delete(VARIABLES, key)
            deleted = True
        try:
            self.plain.delete(key)
        except NotFoundError:
            if not deleted:
                raise

    def _exists(self, key: str) -> bool:
        try:
            self.get(key)
        except NotFoundError:
            return False
        return True

    def _put_secret(self, key: str, value: str, description: str | None) -> None:
        try:
            self.secrets.put(VARIABLES, key, value, description=description)
        except (SecretTooLarge, ValueError) as exc:
            raise BadRequestError(str(exc)) from None


class TaskVariableStore:
    """The SDK's VariableStore for tasks on the worker: the same split, without the API's errors."""

    def __init__(self, models: Models, secrets: SecretsStore):
        self.service = VariableService(models, secrets)

    def get_variable(self, key: str) -> str | None:
        try:
            return self.service.get(key).value
        except NotFoundError:
            return None

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        self.service.upsert(key, value, description)

    def delete_variable(self, key: str) -> bool:
        try:
            self.service.delete(key)
        except NotFoundError:
            return False
        return True
