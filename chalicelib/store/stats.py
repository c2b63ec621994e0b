"""Per-minute task outcome counters in the meta table (pk "stats" or "stats#s", sk = the minute): throughput
and failure rate.

The worker adds its counts to the minute's counters (`BufferedStats`, or `record_outcome` for one try); the
monitoring API reads the last hour. An UpdateItem with ADD is atomic, so concurrent workers never lose a
count. Items carry `expires_at` (epoch seconds) for a DynamoDB TTL on the meta table.

Sharded like the GSI keys (store/shards.py, LEVANTE_INDEX_SHARDS = N): one item a minute would take every
worker's flush, up to 5,000 writes/s at 5,000 tasks/s (docs/costs.md), five times what one partition takes.
Each write goes to one of the N keys, picked at random (shard 0 keeps the bare "stats", so N = 1 is the old
layout and raising N leaves earlier minutes readable); a reader queries the N keys of the window and sums.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.states import TaskState
from chalicelib.store.models import Models
from chalicelib.store.shards import over_shards, shard_keys

PK = "stats"
KEEP = timedelta(days=2)
FAILED = frozenset({TaskState.FAILED, TaskState.UPSTREAM_FAILED})


def minute_key(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M")


@lru_cache(maxsize=16)
def _counter_model(table_name: str, region: str, host: str | None) -> type[Model]:
    attrs = {"table_name": table_name, "region": region, "max_retry_attempts": 8}
    if host:
        attrs["host"] = host

    class MinuteCounter(Model):  # a second view of the meta table's "stats" items
        Meta = type("Meta", (), attrs)
        pk = UnicodeAttribute(hash_key=True)
        sk = UnicodeAttribute(range_key=True)
        finished = NumberAttribute(default=0)
        failed = NumberAttribute(default=0)
        retried = NumberAttribute(default=0)
        expires_at = NumberAttribute(null=True)

    return MinuteCounter


@dataclass(frozen=True)
class MinuteCount:
    minute: str  # minute_key: YYYY-MM-DDTHH:MM
    finished: int
    failed: int


@dataclass(frozen=True)
class Throughput:
    finished: int
    failed: int
    retried: int
    minutes: int
    series: tuple[MinuteCount, ...] = ()  # one point per minute of the window, oldest first, zeros included

    @property
    def per_minute(self) -> float:
        return self.finished / self.minutes if self.minutes else 0.0

    @property
    def failure_rate(self) -> float | None:
        return self.failed / self.finished if self.finished else None


class StatsRepository:
    def __init__(self, models: Models, pick: Callable[[int], int] = random.randrange):
        meta = models.Meta.Meta
        self.Counter = _counter_model(meta.table_name, meta.region, getattr(meta, "host", None))
        self.keys = shard_keys(PK, models.index_shards)
        self._pick = pick  # the shard of each write: any spreads the load, random is even without coordination

    def record_outcome(self, state: str, at: datetime) -> None:
        """One finished try, written at once."""
        self.add(minute_key(at), finished=1, failed=int(state in FAILED), retried=int(state == "up_for_retry"), at=at)

    def add(self, minute: str, *, finished: int, failed: int, retried: int, at: datetime) -> None:
        Counter = self.Counter
        actions = [Counter.finished.add(finished), Counter.expires_at.set(int((at + KEEP).timestamp()))]
        if failed:
            actions.append(Counter.failed.add(failed))
        if retried:
            actions.append(Counter.retried.add(retried))
        Counter(self.keys[self._pick(len(self.keys))], minute).update(actions=actions)

    def last_hour(self, now: datetime) -> Throughput:
        Counter = self.Counter
        since = minute_key(now - timedelta(minutes=59))
        finished = failed = retried = 0
        stored: dict[str, MinuteCount] = {}
        for part in over_shards(PK, len(self.keys), lambda key: Counter.query(key, Counter.sk >= since)):
            for item in part:
                finished += int(item.finished or 0)
                failed += int(item.failed or 0)
                retried += int(item.retried or 0)
                seen = stored.get(item.sk, MinuteCount(item.sk, 0, 0))
                stored[item.sk] = MinuteCount(item.sk, seen.finished + int(item.finished or 0),
                                              seen.failed + int(item.failed or 0))
        minutes = [minute_key(now - timedelta(minutes=59 - i)) for i in range(60)]
        series = tuple(stored.get(m, MinuteCount(m, 0, 0)) for m in minutes)
        return Throughput(finished, failed, retried, 60, series)


class BufferedStats:
    """Counts outcomes in memory and writes each minute's totals at most every `interval` seconds.

    A busy worker then spends a fraction of a request per task on monitoring instead of one. Counts still
    buffered when a container is recycled are lost: throughput figures are a monitoring aid, not a ledger.
    """

    def __init__(self, repository_factory, interval: float = 5.0):
        self._factory = repository_factory
        self.interval = interval
        self._pending: dict[str, list[int]] = {}
        self._last_flush = 0.0

    def record(self, state: str, at: datetime, monotonic: float) -> None:
        counts = self._pending.setdefault(minute_key(at), [0, 0, 0])
        counts[0] += 1
        counts[1] += int(state in FAILED)
        counts[2] += int(state == "up_for_retry")
        if monotonic - self._last_flush >= self.interval:
            self.flush(at, monotonic)

    def flush(self, at: datetime, monotonic: float) -> None:
        pending, self._pending = self._pending, {}
        self._last_flush = monotonic
        repository = self._factory()
        for minute, (finished, failed, retried) in pending.items():
            repository.add(minute, finished=finished, failed=failed, retried=retried, at=at)
