"""Dates as DAG files give them (pendulum, aware or naive datetimes, timedeltas, seconds) made uniform."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pendulum


def as_aware(value: datetime | date) -> datetime:
    """An aware UTC stdlib datetime; naive values are taken as UTC (Airflow's default timezone)."""
    if not isinstance(value, datetime):
        if isinstance(value, date):
            value = datetime(value.year, value.month, value.day)
        else:
            raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    converted = value.astimezone(UTC)
    # pendulum's DateTime is a datetime subclass; store plain datetimes so comparisons and JSON agree.
    return datetime(
        converted.year, converted.month, converted.day, converted.hour, converted.minute,
        converted.second, converted.microsecond, tzinfo=UTC,
    )


def timezone_name(value: Any) -> str:
    """The IANA name of a DAG's timezone: from a tz object, a name, or a start_date's tzinfo."""
    if value is None:
        return "UTC"
    if isinstance(value, str):
        return value
    tz = value.tzinfo if isinstance(value, datetime) else value
    if tz is None:
        return "UTC"
    for attr in ("key", "name", "zone"):  # zoneinfo, pendulum, pytz
        name = getattr(tz, attr, None)
        if isinstance(name, str) and name:
            return "UTC" if name in ("+00:00", "Etc/UTC") else name
    if tz is UTC or (isinstance(value, datetime) and value.utcoffset() == timedelta(0)):
        return "UTC"
    raise ValueError(f"cannot tell the IANA name of timezone {tz!r}; use pendulum.timezone('Area/City')")


def to_seconds(value: timedelta | float | int | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"expected a timedelta or seconds, got {type(value).__name__}: {value!r}")


# The runner's clock while a task runs. `levante dags test --no-retry-wait` jumps it ahead instead of
# sleeping, so sensors waiting for a moment must read this clock, not the wall clock.
_clock: contextvars.ContextVar[Callable[[], datetime] | None] = contextvars.ContextVar("levante_clock", default=None)


def utcnow() -> pendulum.DateTime:
    clock = _clock.get()
    return pendulum.instance(clock() if clock else datetime.now(UTC))


@contextmanager
def using_clock(now: Callable[[], datetime]) -> Iterator[None]:
    token = _clock.set(now)
    try:
        yield
    finally:
        _clock.reset(token)
