"""Connections in the secrets store: list, get, create, update, delete (for the API and the CLI).

A connection is stored whole, as its JSON form, in one SecureString: the password and extras are never
written to DynamoDB, and a reader of the store gets the same value `AIRFLOW_CONN_<ID>` would hold.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.sdk.connection import FIELDS, Connection, validate_conn_id
from chalicelib.sdk.masker import MASK
from chalicelib.store.errors import BadRequestError, ConflictError, NotFoundError
from chalicelib.store.secrets import CONNECTIONS, SecretsStore, SecretTooLarge


class ConnectionService:
    def __init__(self, secrets: SecretsStore):
        self.secrets = secrets

    def list(self) -> list[Connection]:
        conns = []
        for conn_id, value in self.secrets.items(CONNECTIONS):
            try:
                conns.append(Connection.parse(conn_id, value))
            except Exception:  # noqa: BLE001 - one unreadable value must not hide the others
                conns.append(Connection(conn_id=conn_id, description="(unreadable value in the secrets store)"))
        return sorted(conns, key=lambda c: c.conn_id or "")

    def get(self, conn_id: str) -> Connection:
        value = self.secrets.get(CONNECTIONS, conn_id)
        if value is None:
            raise NotFoundError(f"The Connection with connection_id: `{conn_id}` was not found")
        return Connection.parse(conn_id, value)

    def exists(self, conn_id: str) -> bool:
        return self.secrets.get(CONNECTIONS, conn_id) is not None

    def create(self, conn: Connection, *, overwrite: bool = False) -> Connection:
        conn_id = _checked_id(conn.conn_id)
        if not overwrite and self.exists(conn_id):
            raise ConflictError(f"A connection with connection_id: `{conn_id}` already exists")
        self._put(conn)
        return conn

    def update(self, conn_id: str, changes: dict[str, Any]) -> Connection:
        conn = self.get(conn_id)
        for name, value in changes.items():
            if name not in FIELDS:
                raise BadRequestError(f"unknown connection field {name!r}")
            setattr(conn, name, value)
        conn.port = int(conn.port) if conn.port not in (None, "") else None
        self._put(conn)
        return conn

    def delete(self, conn_id: str) -> None:
        self.secrets.delete(CONNECTIONS, _checked_id(conn_id))

    def _put(self, conn: Connection) -> None:
        try:
            self.secrets.put(CONNECTIONS, _checked_id(conn.conn_id), conn.as_json(), description=conn.description)
        except SecretTooLarge as exc:
            raise BadRequestError(str(exc)) from None


def _checked_id(conn_id: str | None) -> str:
    try:
        return validate_conn_id(conn_id or "")
    except ValueError as exc:
        raise BadRequestError(str(exc)) from None


def public_view(conn: Connection) -> dict[str, Any]:
    """Airflow's connection fields as the API and the CLI show them: no password, secret extras masked."""
    if conn.extra_dejson:
        extra: str | None = json.dumps(conn.masked_extra())
    else:
        extra = None if conn.extra in (None, "") else MASK  # not a JSON object: cannot tell what is secret
    return {"connection_id": conn.conn_id, "conn_type": conn.conn_type, "description": conn.description,
            "host": conn.host, "login": conn.login, "schema": conn.schema, "port": conn.port, "extra": extra}
