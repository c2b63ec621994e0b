"""Monitoring numbers, per-minute stats counters, version and whoami."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def test_monitoring_reports_queues_scheduler_and_throughput(api, stack) -> None:
    from chalicelib.store.stats import StatsRepository

    empty = api.get("/monitoring", role="viewer").json
    assert empty["scheduler"]["status"] == "unknown" and empty["tasks"]["oldest_queued_age_seconds"] is None
    stack.trigger("pipeline", run_id="q")  # extract queued, its message visible
    stack.tick()
    now = datetime.now(UTC)
    stats = StatsRepository(stack.backend.models)
    for state in ("success", "success", "failed", "up_for_retry"):
        stats.record_outcome(state, now)
    stats.record_outcome("failed", now - timedelta(hours=2))  # outside the window
    body = api.get("/monitoring", role="viewer").json
    assert body["queue"]["visible"] >= 1 and body["queue"]["exists"] is True
    assert body["dead_letter_queue"]["visible"] == 0
    assert body["scheduler"]["status"] == "healthy" and body["scheduler"]["last_tick_duration_seconds"] >= 0
    assert body["tasks"]["queued"] >= 1 and body["tasks"]["oldest_queued_age_seconds"] >= 0
    assert body["throughput"]["finished"] == 4 and body["throughput"]["failed"] == 1
    assert body["throughput"]["failure_rate"] == 0.25 and body["throughput"]["retried"] == 1


def test_version(api) -> None:
    body = api.get("/version", role="viewer").json
    assert body["api_version"] == "1" and body["version"]
