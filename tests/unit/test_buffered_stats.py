"""The worker's monitoring counters: buffered per minute, written at most every `interval` seconds."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.store.stats import BufferedStats


class FakeRepository:
    def __init__(self) -> None:
        self.writes: list[tuple[str, int, int, int]] = []

    def add(self, minute: str, *, finished: int, failed: int, retried: int, at: datetime) -> None:
        self.writes.append((minute, finished, failed, retried))


def test_counts_are_buffered_between_flushes_and_none_lost() -> None:
    repo = FakeRepository()
    stats = BufferedStats(lambda: repo, interval=5.0)
    at = datetime(2024, 6, 1, 12, 0, 30, tzinfo=UTC)
    stats.record("success", at, monotonic=100.0)  # first outcome: written at once
    stats.record("failed", at, monotonic=101.0)
    stats.record("up_for_retry", at, monotonic=102.0)
    assert repo.writes == [("2024-06-01T12:00", 1, 0, 0)]
    stats.record("success", datetime(2024, 6, 1, 12, 1, 5, tzinfo=UTC), monotonic=105.5)  # interval passed
    assert repo.writes[1:] == [("2024-06-01T12:00", 2, 1, 1), ("2024-06-01T12:01", 1, 0, 0)]
