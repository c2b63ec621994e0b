"""Dynamic task mapping: how many instances a mapped task expands to, and how instances are named.

A task instance is identified by its task id and `map_index` (-1 for an unmapped task, and for a mapped task
until it expands). Stores and snapshots key instances by `ti_key`, which is the task id itself when unmapped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from chalicelib.core.spec import MapSpec

MAX_MAP_LENGTH = 1024  # Airflow's [core] max_map_length default


def ti_key(task_id: str, map_index: int = -1) -> str:
    # '#' never appears in a task id (Airflow allows letters, digits, '-', '_' and '.').
    return task_id if map_index < 0 else f"{task_id}#{map_index}"


def split_key(key: str) -> tuple[str, int]:
    task_id, sep, index = key.rpartition("#")
    return (task_id, int(index)) if sep else (key, -1)


def map_count(spec: MapSpec, output_lengths: Mapping[str, int | None]) -> int | None:
    """Instances of a mapped task: the product of its inputs' lengths (Airflow's cross product).

    None while an upstream output it maps over has no recorded length (that task has not succeeded).
    """
    lengths: list[int] = []
    for item in spec.inputs:
        length = item.length if item.task_id is None else output_lengths.get(item.task_id)
        if length is None:
            return None
        lengths.append(length)
    return math.prod(lengths)


def input_indexes(lengths: list[int], map_index: int) -> list[int]:
    """The element of each input that instance `map_index` gets: the last input varies fastest (Airflow)."""
    indexes = [0] * len(lengths)
    for position in range(len(lengths) - 1, -1, -1):
        length = lengths[position]
        indexes[position] = map_index % length
        map_index //= length
    return indexes
