"""`airflow.sdk.timezone` (and Airflow 2's `airflow.utils.timezone`): pendulum helpers DAG files call."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum

utc = pendulum.UTC


def utcnow() -> pendulum.DateTime:
    return pendulum.now("UTC")


def datetime(*args: Any, **kwargs: Any) -> pendulum.DateTime:
    """A datetime, UTC unless `tzinfo` says otherwise."""
    tz = kwargs.pop("tzinfo", None) or utc
    return pendulum.instance(dt.datetime(*args, **kwargs), tz=tz)


def make_aware(value: dt.datetime, timezone: Any = None) -> pendulum.DateTime:
    if value.tzinfo is not None:
        return pendulum.instance(value)
    return pendulum.instance(value, tz=timezone or utc)


def make_naive(value: dt.datetime, timezone: Any = None) -> dt.datetime:
    return pendulum.instance(value).in_timezone(timezone or utc).naive()


def convert_to_utc(value: dt.datetime | None) -> pendulum.DateTime | None:
    if value is None:
        return None
    return make_aware(value).in_timezone("UTC")


def coerce_datetime(value: dt.datetime | None, tz: Any = None) -> pendulum.DateTime | None:
    if value is None:
        return None
    return make_aware(value, tz) if value.tzinfo is None else pendulum.instance(value)


def parse(string: str, timezone: Any = None) -> pendulum.DateTime:
    return pendulum.parse(string, tz=timezone or utc)


def is_localized(value: dt.datetime) -> bool:
    return value.utcoffset() is not None


def is_naive(value: dt.datetime) -> bool:
    return value.utcoffset() is None
