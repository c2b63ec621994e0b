"""`Variable.get/set/delete` backed by whatever store the running process installed.

Lookup order follows Airflow: the environment (`AIRFLOW_VAR_<KEY>`) first, then the store. The store is
chosen per execution context (a contextvar), so the in-process runner, the worker and tests each bring
their own without a global singleton.
"""

from __future__ import annotations

import contextvars
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from chalicelib.sdk.masker import mask_secret
from chalicelib.sdk.params import NOTSET


class VariableStore(Protocol):
    def get_variable(self, key: str) -> str | None: ...
    def set_variable(self, key: str, value: str, description: str | None = None) -> None: ...
    def delete_variable(self, key: str) -> bool: ...


class MemoryVariableStore:
    def __init__(self, values: dict[str, str] | None = None):
        self.values = dict(values or {})

    def get_variable(self, key: str) -> str | None:
        return self.values.get(key)

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        self.values[key] = value

    def delete_variable(self, key: str) -> bool:
        return self.values.pop(key, None) is not None


_store: contextvars.ContextVar[VariableStore] = contextvars.ContextVar("levante_variables")
_DEFAULT_STORE = MemoryVariableStore()


@contextmanager
def using_variable_store(store: VariableStore) -> Iterator[None]:
    token = _store.set(store)
    try:
        yield
    finally:
        _store.reset(token)


def current_store() -> VariableStore:
    return _store.get(_DEFAULT_STORE)


class Variable:
    @staticmethod
    def get(key: str, default: Any = NOTSET, deserialize_json: bool = False, default_var: Any = NOTSET) -> Any:
        if default is NOTSET:
            default = default_var  # Airflow 2 spelling
        raw = os.environ.get(f"AIRFLOW_VAR_{key.upper()}")
        if raw is None:
            raw = current_store().get_variable(key)
        if raw is None:
            if default is NOTSET:
                raise KeyError(f"Variable {key} does not exist")
            return default
        mask_secret(raw, key)  # a secret-named variable's value is *** in logs from now on (as in Airflow)
        return json.loads(raw) if deserialize_json else raw

    @staticmethod
    def set(key: str, value: Any, description: str | None = None, serialize_json: bool = False) -> None:
        text = json.dumps(value, indent=2) if serialize_json else str(value)
        current_store().set_variable(key, text, description)

    @staticmethod
    def delete(key: str) -> bool:
        return current_store().delete_variable(key)


class VariableAccessor:
    """`{{ var.value.key }}` and `{{ var.json.key }}` in templates."""

    def __init__(self, deserialize_json: bool):
        self._json = deserialize_json

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return Variable.get(key, deserialize_json=self._json)

    def get(self, key: str, default: Any = NOTSET) -> Any:
        return Variable.get(key, default, deserialize_json=self._json)
