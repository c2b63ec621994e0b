"""The REST API under /api/v1: one blueprint per resource group, registered by `register_api` from app.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Chalice

from chalicelib.api import (
    routes_assets,
    routes_connections,
    routes_costs,
    routes_dag_versions,
    routes_dags,
    routes_dead_letters,
    routes_meta,
    routes_monitoring,
    routes_runs,
    routes_task_instances,
    routes_variables,
)
from chalicelib.api.routing import ApiBlueprint, register

URL_PREFIX = "/api/v1"
BLUEPRINTS: list[ApiBlueprint] = [routes_meta.api, routes_dags.api, routes_dag_versions.api, routes_runs.api,
                                  routes_task_instances.api,
                                  routes_variables.api, routes_connections.api,
                                  routes_monitoring.api, routes_costs.api,
                                  routes_dead_letters.api, routes_assets.api]


def register_api(app: Chalice, backend: Callable[[], Any], authorizer: Any = None) -> None:
    """Add every route to `app`; `backend()` returns the Backend (called per request, so tests can swap it)."""
    register(app, BLUEPRINTS, backend, URL_PREFIX, authorizer)
