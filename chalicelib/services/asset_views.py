"""What the API shows of assets: each asset with its producers, consumers and latest event; asset events."""

from __future__ import annotations

from typing import Any

from chalicelib.services.backend import Backend
from chalicelib.store.assets import AssetRepository


def list_assets(backend: Backend, *, uri_pattern: str | None = None) -> list[dict[str, Any]]:
    assets = AssetRepository(backend.models).list_assets()
    if uri_pattern:
        assets = [a for a in assets if uri_pattern in a["uri"] or uri_pattern in a.get("name", "")]
    return sorted(assets, key=lambda a: a["uri"])


def list_events(backend: Backend, *, uri: str | None, source_dag_id: str | None, limit: int) -> list[dict[str, Any]]:
    """Newest first; without `uri`, the latest `limit` events of each asset merged (one Query per asset)."""
    repo = AssetRepository(backend.models)
    uris = [uri] if uri else [a["uri"] for a in repo.list_assets()]
    events = [e for u in uris for e in repo.events(u, limit=limit)]
    if source_dag_id:
        events = [e for e in events if e.get("source_dag_id") == source_dag_id]
    return sorted(events, key=lambda e: e["timestamp"], reverse=True)[:limit]
