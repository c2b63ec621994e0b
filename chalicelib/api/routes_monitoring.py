"""Monitoring: queue depth, in flight, delayed, DLQ, scheduler heartbeat and tick duration, throughput."""

from __future__ import annotations

from chalicelib.api.routing import ApiBlueprint, Request
from chalicelib.services import monitoring

api = ApiBlueprint(__name__, "Monitoring")


@api.operation("GET", "/monitoring", summary="Queues, scheduler heartbeat, task throughput over the last hour")
def get_monitoring(req: Request) -> dict:
    return monitoring.monitoring(req.backend, req.now)
