"""Assets (Airflow 2's Datasets): which DAGs an asset event can start, as a pure condition over asset uris.

A DAG scheduled on assets carries its condition in its spec as plain data: `{"asset": uri}`,
`{"all": [cond, ...]}` (AssetAll, `a & b`, or a list given as `schedule=`) or `{"any": [cond, ...]}`
(AssetAny, `a | b`). The scheduler asks `is_met` with the uris that have had events since the DAG's last
asset-triggered run (Airflow's asset-DAG-run queue).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Condition = dict[str, Any]


class AssetConditionError(ValueError):
    pass


def is_met(condition: Condition, ready: Iterable[str]) -> bool:
    """True when the assets with queued events satisfy the condition."""
    return _met(condition, frozenset(ready))


def _met(condition: Condition, ready: frozenset[str]) -> bool:
    if "asset" in condition:
        return condition["asset"] in ready
    if "all" in condition:
        return all(_met(c, ready) for c in condition["all"])
    if "any" in condition:
        return any(_met(c, ready) for c in condition["any"])
    raise AssetConditionError(f"not an asset condition: {condition!r}")


def uris(condition: Condition) -> list[str]:
    """Every asset uri the condition mentions, in order, once."""
    found: list[str] = []
    stack = [condition]
    while stack:
        node = stack.pop(0)
        if "asset" in node:
            if node["asset"] not in found:
                found.append(node["asset"])
        else:
            stack[:0] = list(node.get("all") or node.get("any") or [])
    return found


def describe(condition: Condition) -> str:
    """Airflow-like text: `a & (b | c)`."""
    if "asset" in condition:
        return condition["asset"]
    op, parts = ("&", condition["all"]) if "all" in condition else ("|", condition["any"])
    inner = f" {op} ".join(describe(p) if "asset" in p else f"({describe(p)})" for p in parts)
    return inner


def validate(condition: Any) -> Condition:
    """The condition if well formed (from a stored spec), else AssetConditionError naming the fault."""
    if not isinstance(condition, dict) or len(condition) != 1:
        raise AssetConditionError(f"not an asset condition: {condition!r}")
    (kind, value), = condition.items()
    if kind == "asset":
        if not isinstance(value, str) or not value:
            raise AssetConditionError(f"an asset uri must be a non-empty string, not {value!r}")
    elif kind in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise AssetConditionError(f"an {kind!r} condition needs a non-empty list, not {value!r}")
        for part in value:
            validate(part)
    else:
        raise AssetConditionError(f"unknown asset condition {kind!r}; expected asset, all or any")
    return condition
