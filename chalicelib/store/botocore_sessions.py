"""One botocore data loader for every PynamoDB connection in the process.

PynamoDB gives each model class a connection of its own, and each connection a botocore session of its own
(`pynamodb.connection.base.Connection.session`, one per thread). A new session has an empty loader, so each
one reads and parses DynamoDB's service model, endpoints and retry rules from botocore's JSON files again:
~140 ms a client on the development machine, against ~10 ms for a client whose loader has them. A cold
worker or API function touches half a dozen tables, so it paid that half a dozen times.

`share_loader()` makes the sessions PynamoDB creates share one loader (botocore caches what a loader has read
on the loader itself). Everything else stays per session as PynamoDB wants it: credentials, the thread that
created it, the clients. The loader only ever reads botocore's own data files; concurrent first reads of one
file at worst parse it twice.
"""

from __future__ import annotations

from typing import Any

import botocore.session
from pynamodb.connection import base as pynamodb_connection

_LOADER: Any = None


def _session_with_shared_loader() -> botocore.session.Session:
    global _LOADER
    session = botocore.session.get_session()
    if _LOADER is None:
        _LOADER = session.get_component("data_loader")
    else:
        session.register_component("data_loader", _LOADER)
    return session


def share_loader() -> None:
    """Idempotent: installed when the models module is imported."""
    pynamodb_connection.get_session = _session_with_shared_loader
