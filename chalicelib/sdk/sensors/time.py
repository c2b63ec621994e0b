"""Sensors that wait for a moment: DateTimeSensor, TimeSensor, TimeDeltaSensor, WaitSensor, DayOfWeekSensor.

Their `*Async` forms and `deferrable=True` wait in reschedule mode, and reschedule straight to the moment
they wait for, so no worker holds the wait.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

import pendulum

from chalicelib.sdk.operators.weekday import WeekDay
from chalicelib.sdk.sensors.base import BaseSensorOperator
from chalicelib.sdk.timeutil import utcnow

log = logging.getLogger("airflow.task")


class _MomentSensor(BaseSensorOperator):
    """Done once now is past `moment(context)`."""

    def moment(self, context: dict[str, Any]) -> dt.datetime:
        raise NotImplementedError

    def poke(self, context: dict[str, Any]) -> bool:
        moment = self.moment(context)
        log.info("Checking if the time (%s) has come", moment)
        return utcnow() > moment

    def reschedule_at(self, context: dict[str, Any], next_poke: dt.datetime) -> dt.datetime:
        if self.deferrable:  # a deferred wait resumes at the moment itself
            return max(self.moment(context), utcnow())
        return min(next_poke, max(self.moment(context), utcnow()))


class DateTimeSensor(_MomentSensor):
    template_fields = ("target_time",)

    def __init__(self, *, target_time: str | dt.datetime, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(target_time, str | dt.datetime):
            raise TypeError(f"Expected str or datetime.datetime type for target_time. Got {type(target_time)}")
        self.target_time = target_time

    def moment(self, context: dict[str, Any]) -> dt.datetime:
        value = self.target_time
        parsed = pendulum.parse(value) if isinstance(value, str) else pendulum.instance(value)
        return parsed if parsed.tzinfo else pendulum.instance(parsed, tz="UTC")


class DateTimeSensorAsync(DateTimeSensor):
    def __init__(self, *, start_from_trigger: bool = False, end_from_trigger: bool = False,
                 trigger_kwargs: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(deferrable=True, **kwargs)


class TimeSensor(_MomentSensor):
    """Waits until a time of day (on the DAG's wall clock), today."""

    def __init__(self, *, target_time: dt.time, start_from_trigger: bool = False, end_from_trigger: bool = False,
                 trigger_kwargs: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.target_time = target_time

    def moment(self, context: dict[str, Any]) -> dt.datetime:
        zone = pendulum.timezone(self.dag.timezone if self.dag else "UTC")
        today = pendulum.now(zone)
        wall = dt.datetime.combine(today.date(), self.target_time.replace(tzinfo=None))
        return pendulum.instance(wall, tz=zone).in_timezone("UTC")


class TimeSensorAsync(TimeSensor):
    def __init__(self, **kwargs: Any):
        super().__init__(deferrable=True, **kwargs)


def _as_delta(value: dt.timedelta | int) -> dt.timedelta:
    return value if isinstance(value, dt.timedelta) else dt.timedelta(minutes=int(value))


class TimeDeltaSensor(_MomentSensor):
    """Waits until `delta` after the run's data interval end (or run_after)."""

    def __init__(self, *, delta: dt.timedelta | int, end_from_trigger: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.delta = delta

    def moment(self, context: dict[str, Any]) -> dt.datetime:
        base = context.get("data_interval_end") or context["dag_run"].run_after
        return pendulum.instance(base) + _as_delta(self.delta)


class TimeDeltaSensorAsync(TimeDeltaSensor):
    def __init__(self, **kwargs: Any):
        super().__init__(deferrable=True, **kwargs)


class WaitSensor(_MomentSensor):
    """Waits `time_to_wait` from the try's first start."""

    def __init__(self, *, time_to_wait: dt.timedelta | int, **kwargs: Any):
        super().__init__(**kwargs)
        self.time_to_wait = time_to_wait

    def moment(self, context: dict[str, Any]) -> dt.datetime:
        ti = context["ti"]
        started = ti.first_try_start or ti.start_date or utcnow()
        return pendulum.instance(started) + _as_delta(self.time_to_wait)


class DayOfWeekSensor(BaseSensorOperator):
    def __init__(self, *, week_day: str | Iterable[str] | WeekDay | Iterable[WeekDay],
                 use_task_logical_date: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date
        self._week_day_num = WeekDay.validate_week_day(week_day)

    def poke(self, context: dict[str, Any]) -> bool:
        if self.use_task_logical_date:
            when = context.get("logical_date") or context["dag_run"].run_after
            return when.isoweekday() in self._week_day_num
        return utcnow().isoweekday() in self._week_day_num
