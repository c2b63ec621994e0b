"""Write sharding of the low-cardinality GSI partition keys (`kind`, `schedulable`, `active`, `active_state`).

A DynamoDB partition takes ~1,000 write units a second, and every index write of one key value lands in one
partition: with the bare keys ("queued", "running", "1", "dag") the whole installation would be capped by
that one partition. Each item therefore carries `<value>#<s>` with `s` = crc32(item id) mod N, so the writes
of a value spread evenly over N partitions, and readers query the N keys and merge.

Shard 0 keeps the bare value: with N = 1 the layout is exactly the unsharded one, and raising N later
leaves every existing item readable (it sits in shard 0). Lowering N hides the items of the shards above
the new N until they are rewritten: raise N, never lower it (docs/operations.md).

The N queries run in threads when N > 1: each is one round trip of ~5-20 ms that waits on the network,
so in parallel the read costs one round trip instead of N (PynamoDB's botocore client is thread-safe).
The pool lives for one call only, so no thread outlives it into a forked task child.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
MAX_THREADS = 16


def shard_of(item_id: str, shards: int) -> int:
    """Stable across processes and Python versions (unlike hash())."""
    return zlib.crc32(item_id.encode()) % shards if shards > 1 else 0


def shard_key(value: str, item_id: str, shards: int) -> str:
    """The index partition key an item with this id carries for `value`."""
    shard = shard_of(item_id, shards)
    return value if shard == 0 else f"{value}#{shard}"


def shard_keys(value: str, shards: int) -> list[str]:
    """Every partition key `value` is spread over, shard 0 first."""
    return [value] + [f"{value}#{s}" for s in range(1, max(1, shards))]


def over_shards(value: str, shards: int, query: Callable[[str], Iterable[T]]) -> list[list[T]]:
    """Run `query(key)` for each shard key of `value` (in parallel when N > 1); one result list per shard."""
    keys = shard_keys(value, shards)
    if len(keys) == 1:
        return [list(query(keys[0]))]
    with ThreadPoolExecutor(max_workers=min(len(keys), MAX_THREADS), thread_name_prefix="shard") as pool:
        return list(pool.map(lambda key: list(query(key)), keys))


def merged(parts: list[list[T]], order: Callable[[T], Any], *, reverse: bool = False,
           limit: int | None = None) -> list[T]:
    """The shards' items in the order one unsharded index query gives (its range key), at most `limit`."""
    items = sorted((item for part in parts for item in part), key=order, reverse=reverse)
    return items if limit is None else items[:limit]


def query_sharded(value: str, shards: int, query: Callable[[str], Iterable[T]], order: Callable[[T], Any], *,
                  reverse: bool = False, limit: int | None = None) -> list[T]:
    """One logical index query over all shards: each shard is asked for at most `limit` (the first `limit`
    of the merge are among them), the merge is cut at `limit`."""
    return merged(over_shards(value, shards, query), order, reverse=reverse, limit=limit)


def count_sharded(value: str, shards: int, count: Callable[[str], int]) -> int:
    return sum(part[0] for part in over_shards(value, shards, lambda key: [count(key)]))
