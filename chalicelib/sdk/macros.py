"""`{{ macros.* }}` in templates: Airflow's date helpers and the modules it exposes."""

from __future__ import annotations

import datetime as _dt
import json  # noqa: F401  (exposed to templates as macros.json)
import random  # noqa: F401
import time  # noqa: F401
import uuid  # noqa: F401
from datetime import date, datetime, timedelta  # noqa: F401
from typing import Any

import dateutil  # noqa: F401
import dateutil.relativedelta  # noqa: F401  (macros.dateutil.relativedelta.relativedelta, as in Airflow)


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


def ds_format_locale(ds: str, input_format: str, output_format: str, locale: Any = None) -> str:
    """`ds_format` with Babel-style (LDML) output patterns, e.g. 'EEEE dd MMMM' (English names without Babel)."""
    import pendulum

    parsed = pendulum.instance(_dt.datetime.strptime(str(ds), input_format))
    return parsed.format(_ldml_to_pendulum(output_format), locale=str(locale or "en").split("_")[0])


def _ldml_to_pendulum(pattern: str) -> str:
    # The common LDML letters, mapped to pendulum tokens; others pass through unchanged.
    for ldml, token in (("EEEE", "dddd"), ("EEE", "ddd"), ("yyyy", "YYYY"), ("yy", "YY"), ("dd", "DD")):
        pattern = pattern.replace(ldml, token)
    return pattern
