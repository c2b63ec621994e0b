"""The API's secrets masker: every value of the secrets store, so no response carries one in clear.

The API never runs tasks, so it cannot learn secrets as they are resolved; it reads them instead (two
paged requests), at most once per `ttl` seconds per warm container and after each write it makes. A secret added since then is still
write-only in its own routes; only its echo in a log or XCom may wait up to `ttl` to be masked there, and
those were masked by the worker as they were written.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from chalicelib.sdk.connection import Connection
from chalicelib.sdk.masker import SecretsMasker, should_hide_value_for_key
from chalicelib.store.secrets import CONNECTIONS, VARIABLES, SecretsStore

log = logging.getLogger("levante.secrets")


class StoreMasker:
    def __init__(self, secrets: SecretsStore, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.secrets = secrets
        self.ttl = ttl
        self.clock = clock
        self._masker = SecretsMasker()
        self._loaded_at: float | None = None
        self._writes_seen = -1
        self._lock = threading.Lock()

    def current(self) -> SecretsMasker:
        now = self.clock()
        with self._lock:
            writes = self.secrets.writes  # a write through this container shows at once
            if self._loaded_at is None or now - self._loaded_at >= self.ttl or writes != self._writes_seen:
                self._masker = self._load()
                self._loaded_at, self._writes_seen = now, writes
            return self._masker

    def _load(self) -> SecretsMasker:
        masker = SecretsMasker()
        try:
            for conn_id, value in self.secrets.items(CONNECTIONS):
                try:
                    conn = Connection.parse(conn_id, value)
                except Exception:  # noqa: BLE001 - unparseable: mask the stored text whole
                    masker.add(value)
                    continue
                masker.add(conn.password)
                masker.add(conn.extra_dejson)
            for key, value in self.secrets.items(VARIABLES):
                if should_hide_value_for_key(key):
                    masker.add(value)
        except Exception:  # noqa: BLE001 - keep the last good set rather than fail every response
            log.exception("could not read the secrets store to mask responses")
            return self._masker
        return masker
