"""The Flower-like numbers of the Monitoring page: queue depth, in flight, delayed, DLQ, scheduler, throughput.

Each is a cheap read: two SQS GetQueueAttributes, one meta Get for the scheduler heartbeat, one Query of
the per-minute counters for the last hour (one Query per shard, LEVANTE_INDEX_SHARDS, in parallel:
store/shards.py), and the queued and running tries: one Query of each active run's task instances (no index
holds them: store/tries_in_flight.by_active_state).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core.states import TaskState
from chalicelib.services.backend import Backend
from chalicelib.store.readers import ApiReader
from chalicelib.store.stats import StatsRepository
from chalicelib.store.timefmt import parse_iso


def queue_status(backend: Backend, queue_name: str) -> dict[str, Any]:
    depths = backend.sqs.depths(queue_name)
    if depths is None:
        return {"name": queue_name, "exists": False, "visible": None, "in_flight": None, "delayed": None}
    return {"name": queue_name, "exists": True, **depths}


def scheduler_status(backend: Backend, now: datetime) -> dict[str, Any]:
    found = ApiReader(backend.models).meta("scheduler", "heartbeat")
    if found is None:
        return {"latest_heartbeat": None, "heartbeat_age_seconds": None, "last_tick_duration_seconds": None,
                "status": "unknown"}
    data, _ = found
    at = parse_iso(data.get("at"))
    age = (now - at).total_seconds() if at else None
    return {"latest_heartbeat": at.isoformat() if at else None, "heartbeat_age_seconds": age,
            "last_tick_duration_seconds": data.get("duration_s"),
            "last_tick": {k: len(v) if isinstance(v, list) else v for k, v in data.items() if k not in ("at", "duration_s")},
            # The tick runs every minute; three missed ticks is unhealthy.
            "status": "healthy" if age is not None and age < 180 else "unhealthy"}


def monitoring(backend: Backend, now: datetime) -> dict[str, Any]:
    in_flight = backend.runs.in_flight()
    queued = [parse_iso(i.queued_at) for i in in_flight if i.state is TaskState.QUEUED and i.queued_at]
    oldest = min(queued, default=None)
    throughput = StatsRepository(backend.models).last_hour(now)
    return {
        "queue": queue_status(backend, backend.settings.queue_name),
        "dead_letter_queue": queue_status(backend, backend.settings.dlq_name),
        "scheduler": scheduler_status(backend, now),
        "tasks": {
            "queued": sum(1 for i in in_flight if i.state is TaskState.QUEUED),
            "running": sum(1 for i in in_flight if i.state is TaskState.RUNNING),
            "oldest_queued_age_seconds": (now - oldest).total_seconds() if oldest else None,
        },
        "throughput": {
            "window_minutes": throughput.minutes, "finished": throughput.finished, "failed": throughput.failed,
            "retried": throughput.retried, "tasks_per_minute": round(throughput.per_minute, 3),
            "failure_rate": round(throughput.failure_rate, 4) if throughput.failure_rate is not None else None,
            # stored per minute, so the chart shows the past hour as soon as the page opens
            "series": [{"minute": f"{p.minute}:00+00:00", "finished": p.finished, "failed": p.failed} for p in throughput.series],
        },
        "time": now.isoformat(),
    }
