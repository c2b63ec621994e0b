"""`{{ macros.* }}` in templates: Airflow's date helpers and the modules it exposes."""

from __future__ import annotations

import datetime as _dt
import json  # noqa: F401  (exposed to templates as macros.json)
import random  # noqa: F401
import time  # noqa: F401
import uuid  # noqa: F401
from datetime import date, datetime, timedelta  # noqa: F401


def ds_add(ds: str, days: int) -> str:
    """`ds_add('2024-01-05', -4)` -> '2024-01-01'."""
    if not days:
        return str(ds)
    return (_dt.datetime.strptime(str(ds), "%Y-%m-%d") + _dt.timedelta(days=days)).strftime("%Y-%m-%d")


def ds_format(ds: str, input_format: str, output_format: str) -> str:
    """`ds_format('2024-01-05', '%Y-%m-%d', '%m-%d-%y')` -> '01-05-24'."""
    return _dt.datetime.strptime(str(ds), input_format).strftime(output_format)


def datetime_diff_for_humans(dt: datetime, since: datetime | None = None) -> str:
    since = since or _dt.datetime.now(_dt.UTC)
    seconds = int((since - dt).total_seconds())
    suffix = "ago" if seconds >= 0 else "from now"
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} {suffix}"
    return f"{seconds} seconds {suffix}"
