"""Airflow's timetable classes as DAG files construct them; each turns into a core `Schedule`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.schedule import Schedule, ScheduleError, ScheduleKind, parse_schedule
from chalicelib.sdk.timeutil import as_aware, timezone_name


def _seconds(value: Any, what: str) -> float:
    if type(value).__name__ == "relativedelta":
        raise ScheduleError(f"{what} as a relativedelta is not supported by Levante; use a datetime.timedelta")
    if not isinstance(value, timedelta):
        raise ScheduleError(f"{what} must be a datetime.timedelta, not {type(value).__name__}")
    return value.total_seconds()


def _cron(expression: str, timezone: str) -> str:
    parsed = parse_schedule(expression, timezone=timezone)
    if parsed.kind is not ScheduleKind.CRON:
        raise ScheduleError(f"{expression!r} is not a cron expression")
    return parsed.cron


class _Timetable:
    description: str = ""

    @property
    def summary(self) -> str:
        return self.description

    def to_levante_schedule(self, default_timezone: str) -> Schedule:
        raise NotImplementedError


class CronTriggerTimetable(_Timetable):
    def __init__(self, cron: str, *, timezone: Any, interval: timedelta = timedelta(),
                 run_immediately: bool | timedelta = False):
        self._timezone = timezone_name(timezone)
        self._cron = _cron(cron, self._timezone)
        self._interval = _seconds(interval, "interval")
        if run_immediately not in (False, None):
            raise ScheduleError("run_immediately is not supported by Levante (the first run follows start_date)")
        self.description = cron

    def to_levante_schedule(self, default_timezone: str) -> Schedule:
        return Schedule(ScheduleKind.CRON, cron=self._cron, timezone=self._timezone, interval_seconds=self._interval)


class MultipleCronTriggerTimetable(_Timetable):
    def __init__(self, *crons: str, timezone: Any, interval: timedelta = timedelta(),
                 run_immediately: bool | timedelta = False):
        if not crons:
            raise ValueError("cron expression required")
        self._timezone = timezone_name(timezone)
        self._crons = tuple(_cron(c, self._timezone) for c in crons)
        self._interval = _seconds(interval, "interval")
        if run_immediately not in (False, None):
            raise ScheduleError("run_immediately is not supported by Levante (the first run follows start_date)")
        self.description = ", ".join(crons)

    def to_levante_schedule(self, default_timezone: str) -> Schedule:
        return Schedule(ScheduleKind.MULTI_CRON, crons=self._crons, timezone=self._timezone,
                        interval_seconds=self._interval)


class CronDataIntervalTimetable(_Timetable):
    def __init__(self, cron: str, timezone: Any):
        self._timezone = timezone_name(timezone)
        self._cron = _cron(cron, self._timezone)
        self.description = cron

    def to_levante_schedule(self, default_timezone: str) -> Schedule:
        return Schedule(ScheduleKind.CRON_INTERVAL, cron=self._cron, timezone=self._timezone)


class DeltaTriggerTimetable(_Timetable):
    def __init__(self, delta: timedelta, *, interval: timedelta = timedelta()):
        self._delta = _seconds(delta, "delta")
        self._interval = _seconds(interval, "interval")
        self.description = str(delta)

    def to_levante_schedule(self, default_timezone: str) -> Schedule:
        return Schedule(ScheduleKind.DELTA, delta_seconds=self._delta, timezone=default_timezone,
                        interval_seconds=self._interval)


class DeltaDataIntervalTimetable(_Timetable):
    def __init__(self, delta: timedelta):
        self._delta = _seconds(delta, "delta")
        self.description = str(delta)

    def to_levante_schedule(self, default_timezone: str) -> Schedule:
        return Schedule(ScheduleKind.DELTA_INTERVAL, delta_seconds=self._delta, timezone=default_timezone)


class EventsTimetable(_Timetable):
    def __init__(self, event_dates: Iterable[datetime], restrict_to_events: bool = False, presorted: bool = False,
                 description: str | None = None):
        self.event_dates = sorted(as_aware(e) for e in event_dates)
        self.restrict_to_events = restrict_to_events
        self.description = description or (f"{len(self.event_dates)} events" if self.event_dates else "No events")

    def to_levante_schedule(self, default_timezone: str) -> Schedule:
        return Schedule(ScheduleKind.EVENTS, events=tuple(self.event_dates), timezone=default_timezone,
                        restrict_to_events=self.restrict_to_events)
