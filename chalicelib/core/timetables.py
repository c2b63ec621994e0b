"""The timetables beyond Airflow 3's defaults: trigger timetables with a data interval, several crons,
data-interval timetables (Airflow 2's cron and timedelta semantics) and explicit event dates.

Pure: `now` is passed in. `next_run` answers `timetable.next_dagrun_info(last_automated_data_interval,
restriction)` as Airflow does for each class; the last run is given by its logical date, from which its data
interval follows (logical_date is the data interval's start for every timetable here).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from chalicelib.core.schedule import (
    RunInfo,
    Schedule,
    ScheduleKind,
    _clock,
    _CronClock,
    _DeltaClock,
    _zone,
    next_fire_time,
)


class _MultiCronClock(NamedTuple):
    """MultipleCronTriggerTimetable: the union of several crons' fire times."""

    clocks: tuple[_CronClock, ...]

    def next_after(self, at: datetime) -> datetime:
        return min(c.next_after(at) for c in self.clocks)

    def align_next(self, at: datetime) -> datetime:
        return min(c.align_next(at) for c in self.clocks)

    def align_prev(self, at: datetime) -> datetime:
        return max(c.align_prev(at) for c in self.clocks)

    def first_run(self, now: datetime) -> datetime:
        return min(c.first_run(now) for c in self.clocks)


def _trigger_clock(schedule: Schedule) -> _CronClock | _DeltaClock | _MultiCronClock:
    if schedule.kind is ScheduleKind.MULTI_CRON:
        zone = _zone(schedule.timezone)
        return _MultiCronClock(tuple(_CronClock(c, zone) for c in schedule.crons))
    return _clock(schedule)


def next_run(schedule: Schedule, *, earliest: datetime | None, latest: datetime | None, catchup: bool,
             last: datetime | None, now: datetime) -> RunInfo | None:
    if schedule.kind is ScheduleKind.EVENTS:
        return _next_event(schedule, earliest=earliest, latest=latest, catchup=catchup, last=last, now=now)
    if schedule.kind in (ScheduleKind.CRON_INTERVAL, ScheduleKind.DELTA_INTERVAL):
        return _next_interval(schedule, earliest=earliest, latest=latest, catchup=catchup, last=last, now=now)
    return _next_trigger(schedule, earliest=earliest, latest=latest, catchup=catchup, last=last, now=now)


def _next_trigger(schedule: Schedule, *, earliest: datetime | None, latest: datetime | None, catchup: bool,
                  last: datetime | None, now: datetime) -> RunInfo | None:
    """Cron/delta/multi-cron trigger timetables: a run at each fire time, covering `interval` before it."""
    clock = _trigger_clock(schedule)
    interval = timedelta(seconds=schedule.interval_seconds)
    last_end = None if last is None else last + interval
    at = next_fire_time(clock, after=last_end, earliest=earliest, catchup=catchup, now=now)
    if latest is not None and at > latest:
        return None
    return RunInfo(at - interval, at - interval, at, at)


class _IntervalGrid(NamedTuple):
    """CronDataIntervalTimetable / DeltaDataIntervalTimetable's boundaries."""

    schedule: Schedule

    def next(self, at: datetime) -> datetime:
        if self.schedule.kind is ScheduleKind.DELTA_INTERVAL:
            return at + self.schedule.delta
        return _clock(self.schedule).next_after(at)

    def prev(self, at: datetime) -> datetime:
        if self.schedule.kind is ScheduleKind.DELTA_INTERVAL:
            return at - self.schedule.delta
        return _clock(self.schedule).prev_before(at)

    def align_next(self, at: datetime) -> datetime:
        return at if self.schedule.kind is ScheduleKind.DELTA_INTERVAL else _clock(self.schedule).align_next(at)

    def align_prev(self, at: datetime) -> datetime:
        return at if self.schedule.kind is ScheduleKind.DELTA_INTERVAL else _clock(self.schedule).align_prev(at)

    def skip_to_latest(self, earliest: datetime | None, now: datetime) -> datetime:
        """Without catchup: the latest interval that has already ended (not older than start_date)."""
        if self.schedule.kind is ScheduleKind.DELTA_INTERVAL:
            seconds = self.schedule.delta_seconds
            rounded = datetime.fromtimestamp(now.timestamp() - now.timestamp() % seconds, tz=now.tzinfo)
            new_start = self.prev(rounded)
            return new_start if earliest is None else max(new_start, earliest)
        last_start = self.prev(now)
        next_start = self.next(last_start)
        new_start = last_start if next_start == now else self.prev(last_start)
        return new_start if earliest is None else max(new_start, self.align_next(earliest))


def _next_interval(schedule: Schedule, *, earliest: datetime | None, latest: datetime | None, catchup: bool,
                   last: datetime | None, now: datetime) -> RunInfo | None:
    grid = _IntervalGrid(schedule)
    if not catchup:
        earliest = grid.skip_to_latest(earliest, now)
    elif earliest is not None:
        earliest = grid.align_next(earliest)
    if last is None:
        if earliest is None:
            return None  # a data-interval timetable without start_date never runs on its own
        start = earliest
    else:
        last_end = grid.next(last)
        aligned = grid.align_prev(last_end)
        start = aligned if earliest is None else max(aligned, earliest)
        if start <= last:
            start = grid.next(start)
    if latest is not None and start > latest:
        return None
    end = grid.next(start)
    return RunInfo(start, start, end, end)


def _next_event(schedule: Schedule, *, earliest: datetime | None, latest: datetime | None, catchup: bool,
                last: datetime | None, now: datetime) -> RunInfo | None:
    if not catchup and (earliest is None or now > earliest):
        earliest = now
    for event in schedule.events:
        if earliest is not None and event < earliest:
            continue
        if last is not None and event <= last:
            continue
        break
    else:
        return None
    if latest is not None and event > latest:
        return None
    return RunInfo(event, event, event, event)


def manual_interval(schedule: Schedule, at: datetime) -> tuple[datetime, datetime]:
    """The data interval Airflow infers for a run triggered at `at` (infer_manual_data_interval)."""
    if schedule.kind is ScheduleKind.EVENTS:
        if not schedule.restrict_to_events or not schedule.events:
            return at, at
        past = [e for e in schedule.events if e <= at]
        event = past[-1] if past else schedule.events[0]
        return event, event
    if schedule.kind is ScheduleKind.CRON_INTERVAL:
        grid = _IntervalGrid(schedule)
        end = grid.align_prev(at)
        return grid.prev(end), end
    if schedule.kind is ScheduleKind.DELTA_INTERVAL:
        return at - schedule.delta, at
    return at - timedelta(seconds=schedule.interval_seconds), at


def following_end(schedule: Schedule, interval_end: datetime) -> datetime | None:
    """The data interval end of the run after the one ending at `interval_end`, if the schedule makes one."""
    if schedule.kind is ScheduleKind.EVENTS:
        return next((e for e in schedule.events if e > interval_end), None)
    if schedule.kind in (ScheduleKind.CRON_INTERVAL, ScheduleKind.DELTA_INTERVAL):
        grid = _IntervalGrid(schedule)
        return grid.next(grid.align_next(interval_end))
    return _trigger_clock(schedule).next_after(interval_end)
