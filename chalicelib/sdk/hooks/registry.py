"""Which hook serves a connection type (for `Connection.get_hook()` and `levante connections test`).

Provider modules are imported only when asked, so a missing optional driver fails only the DAG that uses it.
"""

from __future__ import annotations

import importlib
from typing import Any

_P = "chalicelib.providers"
HOOKS: dict[str, str] = {
    "http": f"{_P}.http.hooks:HttpHook",
    "https": f"{_P}.http.hooks:HttpHook",
    "postgres": f"{_P}.postgres:PostgresHook",
    "mysql": f"{_P}.mysql:MySqlHook",
    "sqlite": f"{_P}.sqlite:SqliteHook",
    "aws": f"{_P}.amazon.base:AwsBaseHook",
    "slackwebhook": f"{_P}.slack:SlackWebhookHook",
    "smtp": f"{_P}.smtp:SmtpHook",
}


def hook_class(conn_type: str | None) -> Any:
    target = HOOKS.get(conn_type or "")
    if target is None:
        raise ValueError(f"Levante has no hook for connection type {conn_type!r} (supported: {', '.join(sorted(HOOKS))})")
    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)
