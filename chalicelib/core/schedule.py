"""A DAG's `schedule`, and when its next scheduled run is due, with Airflow 3's default semantics.

Airflow 3 maps a cron string or preset to CronTriggerTimetable and a timedelta to DeltaTriggerTimetable
(`[scheduler] create_cron_data_intervals = False`), and `catchup` defaults to False. A run fired at T
therefore has logical_date = data_interval_start = data_interval_end = run_after = T.

`next_run` answers what Airflow's `timetable.next_dagrun_info(last_automated_data_interval, restriction)`
answers, with the restriction (earliest=start_date, latest=end_date, catchup) passed in. Its `now` is the
moment the question is asked. Airflow asks when it creates a run and when it re-parses the DAG file, and
stores the answer (DagModel.next_dagrun*) until it is due; callers should store it too rather than ask
again late, because a timedelta schedule without catchup starts its next run at max(now, last + delta).

Cron is evaluated in the schedule's IANA timezone. croniter is imported lazily: only the code that
computes fire times pays for it, not every Lambda that reads a serialized DAG.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Airflow's cron_presets, plus the aliases croniter itself expands (@midnight, @annually).
CRON_PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
SUPPORTED = ("None, '@once', a cron preset, a 5-field cron string, a datetime.timedelta or a timetable "
             "(CronTriggerTimetable, CronDataIntervalTimetable, DeltaTriggerTimetable, "
             "DeltaDataIntervalTimetable, MultipleCronTriggerTimetable, EventsTimetable)")


class ScheduleError(ValueError):
    pass


class ScheduleKind(str, Enum):
    NONE = "none"  # NullTimetable: manual triggers only
    ONCE = "once"  # OnceTimetable
    CRON = "cron"  # CronTriggerTimetable
    DELTA = "delta"  # DeltaTriggerTimetable
    MULTI_CRON = "multi_cron"  # MultipleCronTriggerTimetable
    CRON_INTERVAL = "cron_interval"  # CronDataIntervalTimetable (Airflow 2's cron semantics)
    DELTA_INTERVAL = "delta_interval"  # DeltaDataIntervalTimetable
    EVENTS = "events"  # EventsTimetable

    def __str__(self) -> str:
        return self.value


_CRON_KINDS = frozenset({ScheduleKind.CRON, ScheduleKind.CRON_INTERVAL})
_DELTA_KINDS = frozenset({ScheduleKind.DELTA, ScheduleKind.DELTA_INTERVAL})


@dataclass(frozen=True)
class Schedule:
    kind: ScheduleKind
    cron: str | None = None
    delta_seconds: float | None = None
    timezone: str = "UTC"
    crons: tuple[str, ...] = ()  # MULTI_CRON
    interval_seconds: float = 0.0  # trigger timetables: the data interval ends at the fire time
    events: tuple[datetime, ...] = ()  # EVENTS, sorted, aware UTC
    restrict_to_events: bool = False

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", ScheduleKind(self.kind))
        except ValueError:
            raise ScheduleError(f"unknown schedule kind {self.kind!r}") from None
        for kinds, field in ((_CRON_KINDS, "cron"), (_DELTA_KINDS, "delta_seconds")):
            if (self.kind in kinds) != (getattr(self, field) is not None):
                raise ScheduleError(f"a {self.kind} schedule {'needs' if self.kind in kinds else 'takes no'} {field}")
        if (self.kind is ScheduleKind.MULTI_CRON) != bool(self.crons):
            raise ScheduleError(f"a {self.kind} schedule {'needs' if self.crons == () else 'takes no'} crons")
        if self.delta_seconds is not None and not self.delta_seconds > 0:
            raise ScheduleError(f"schedule interval must be positive, not {self.delta_seconds!r} seconds")
        if self.interval_seconds < 0:
            raise ScheduleError(f"a timetable's interval must not be negative, not {self.interval_seconds!r} seconds")
        object.__setattr__(self, "crons", tuple(self.crons))
        object.__setattr__(self, "events", tuple(sorted(_utc(e) for e in self.events)))

    @property
    def delta(self) -> timedelta | None:
        return None if self.delta_seconds is None else timedelta(seconds=self.delta_seconds)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value, "cron": self.cron, "delta_seconds": self.delta_seconds,
                                "timezone": self.timezone}
        # Only what differs from the defaults, so wave-1 serialized DAGs and their hashes stay the same.
        if self.crons:
            data["crons"] = list(self.crons)
        if self.interval_seconds:
            data["interval_seconds"] = self.interval_seconds
        if self.kind is ScheduleKind.EVENTS:
            data["events"] = [e.isoformat() for e in self.events]
            data["restrict_to_events"] = self.restrict_to_events
        return data

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Schedule:
        return cls(kind=d["kind"], cron=d.get("cron"), delta_seconds=d.get("delta_seconds"),
                   timezone=d.get("timezone") or "UTC", crons=tuple(d.get("crons") or ()),
                   interval_seconds=float(d.get("interval_seconds") or 0.0),
                   events=tuple(datetime.fromisoformat(e) for e in d.get("events") or ()),
                   restrict_to_events=bool(d.get("restrict_to_events")))

    def describe(self) -> str:
        if self.kind is ScheduleKind.CRON:
            return f"cron {self.cron} ({self.timezone})"
        if self.kind is ScheduleKind.DELTA:
            return f"every {self.delta}"
        if self.kind is ScheduleKind.CRON_INTERVAL:
            return f"cron {self.cron} ({self.timezone}), data intervals"
        if self.kind is ScheduleKind.DELTA_INTERVAL:
            return f"every {self.delta}, data intervals"
        if self.kind is ScheduleKind.MULTI_CRON:
            return f"cron {' | '.join(self.crons)} ({self.timezone})"
        if self.kind is ScheduleKind.EVENTS:
            return f"{len(self.events)} events"
        return self.kind.value


class RunInfo(NamedTuple):
    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    run_after: datetime


def parse_schedule(value: Any, timezone: str = "UTC") -> Schedule:
    """Turn a DAG's `schedule=` argument into a Schedule, or raise ScheduleError saying what is wrong.

    Cron strings must have exactly 5 fields. croniter would also take a 6th (seconds) or 7th (year)
    field, but Airflow cannot describe those and warns that croniter evaluates them inconsistently.
    """
    if isinstance(value, Schedule):
        return value
    _zone(timezone)
    if value is None:
        return Schedule(ScheduleKind.NONE, timezone=timezone)
    if isinstance(value, str):
        return _parse_string(value, timezone)
    if isinstance(value, timedelta):
        return Schedule(ScheduleKind.DELTA, delta_seconds=_delta_seconds(value), timezone=timezone)
    to_schedule = getattr(value, "to_levante_schedule", None)
    if to_schedule is not None:  # a timetable object from airflow.timetables / airflow.sdk
        return to_schedule(timezone)
    if type(value).__name__ == "relativedelta":
        raise ScheduleError(f"schedule {value!r} is a relativedelta, which Levante does not support; "
                            "use a cron expression or a datetime.timedelta")
    raise ScheduleError(f"unsupported schedule {_short_repr(value)} ({type(value).__name__}); "
                        f"Levante supports {SUPPORTED}")


def _parse_string(value: str, timezone: str) -> Schedule:
    text = value.strip()
    if text.lower() == "@once":
        return Schedule(ScheduleKind.ONCE, timezone=timezone)
    if text.startswith("@"):
        if text.lower() in CRON_PRESETS:
            return Schedule(ScheduleKind.CRON, cron=CRON_PRESETS[text.lower()], timezone=timezone)
        raise ScheduleError(f"unsupported schedule {value!r}; Levante supports {SUPPORTED} "
                            f"(presets: @once, {', '.join(CRON_PRESETS)})")
    fields = text.split()
    if len(fields) != 5:
        raise ScheduleError(f"invalid cron expression {value!r}: expected 5 fields "
                            f"(minute hour day-of-month month day-of-week), got {len(fields)}")
    cron = " ".join(fields)
    from croniter import CroniterBadDateError, CroniterError, croniter

    try:
        # One evaluation as well, so that an expression that can never fire ("0 0 31 2 *") fails here
        # rather than at every scheduler tick.
        croniter(cron, start_time=datetime(2000, 1, 1)).get_next(datetime)
    except CroniterBadDateError:
        raise ScheduleError(f"invalid cron expression {value!r}: it matches no date") from None
    except (CroniterError, ValueError, KeyError) as exc:
        raise ScheduleError(f"invalid cron expression {value!r}: {exc}") from None
    return Schedule(ScheduleKind.CRON, cron=cron, timezone=timezone)


def _delta_seconds(value: timedelta) -> float:
    # pendulum.Duration is a timedelta, but its months/years are calendar units a number of seconds
    # cannot hold.
    if getattr(value, "months", 0) or getattr(value, "years", 0):
        raise ScheduleError(f"schedule {value!r} has months or years; use a cron expression instead")
    if value <= timedelta(0):
        raise ScheduleError(f"schedule interval must be positive, not {value!r}")
    return value.total_seconds()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ScheduleError(f"unknown timezone {name!r}; expected an IANA name such as 'Europe/Berlin'") from None


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def next_run(schedule: Schedule, *, start_date: datetime | None, end_date: datetime | None, catchup: bool,
             last_logical_date: datetime | None, now: datetime) -> RunInfo | None:
    """The next scheduled run after `last_logical_date` (the latest scheduled run), or None if none will come.

    It may be due later than `now`; the caller compares `run_after` with its clock.
    """
    earliest, latest, last, now = _utc(start_date), _utc(end_date), _utc(last_logical_date), _utc(now)
    if schedule.kind is ScheduleKind.NONE:
        return None
    if schedule.kind not in (ScheduleKind.ONCE, ScheduleKind.CRON, ScheduleKind.DELTA) or schedule.interval_seconds:
        from chalicelib.core import timetables

        return timetables.next_run(schedule, earliest=earliest, latest=latest, catchup=catchup, last=last, now=now)
    if schedule.kind is ScheduleKind.ONCE:
        # OnceTimetable: at start_date (or now without one), whatever catchup says; never twice.
        if last is not None:
            return None
        at = earliest or now
        return None if latest is not None and at > latest else _exact(at)
    at = next_fire_time(_clock(schedule), after=last, earliest=earliest, catchup=catchup, now=now)
    # end_date is inclusive.
    return None if latest is not None and at > latest else _exact(at)


def next_fire_time(clock: _CronClock | _DeltaClock, *, after: datetime | None, earliest: datetime | None, catchup: bool,
                   now: datetime) -> datetime:
    """The next fire time of a trigger clock (cron or delta): after `after` (the last run's), not before
    `earliest` (start_date). Shared by the plain schedules and the trigger timetables."""
    if catchup:
        if after is not None:
            return clock.next_after(after)
        return clock.first_run(now) if earliest is None else clock.align_next(earliest)
    # Without catchup Airflow takes the latest fire time at or before now: a DAG that missed runs
    # runs once at once, for the most recent one, then follows the schedule.
    candidates = [clock.align_prev(now)]
    if after is not None:
        candidates.append(clock.next_after(after))
    elif earliest is None:
        candidates.append(clock.first_run(now))
    if earliest is not None:
        candidates.append(clock.align_next(earliest))
    return max(candidates)


def manual_run_info(schedule: Schedule, logical_date: datetime, *, run_after: datetime | None = None) -> RunInfo:
    """A manually triggered run: every Airflow 3 default timetable gives it the exact interval (t, t);
    the other timetables infer the data interval from `logical_date` as Airflow's do.

    `run_after` defaults to the logical date; Airflow sets it to the trigger time.
    """
    at = _utc(logical_date)
    if schedule.kind not in (ScheduleKind.NONE, ScheduleKind.ONCE, ScheduleKind.CRON, ScheduleKind.DELTA) \
            or schedule.interval_seconds:
        from chalicelib.core import timetables

        start, end = timetables.manual_interval(schedule, at)
        return RunInfo(at, start, end, _utc(run_after) or at)
    return RunInfo(at, at, at, _utc(run_after) or at)


def runs_between(schedule: Schedule, *, start_date: datetime | None, end_date: datetime | None, catchup: bool,
                 last_logical_date: datetime | None, now: datetime, limit: int) -> list[RunInfo]:
    """The runs due by `now`, oldest first, at most `limit` of them (a bound on catchup per tick)."""
    runs: list[RunInfo] = []
    last, now = _utc(last_logical_date), _utc(now)
    while len(runs) < limit:
        info = next_run(schedule, start_date=start_date, end_date=end_date, catchup=catchup,
                        last_logical_date=last, now=now)
        if info is None or info.run_after > now or (last is not None and info.logical_date <= last):
            break
        runs.append(info)
        last = info.logical_date
    return runs


def _exact(at: datetime) -> RunInfo:
    return RunInfo(at, at, at, at)


def _utc(value: datetime | None) -> datetime | None:
    """Naive means UTC (Airflow's default timezone). pendulum DateTimes come back as plain datetimes."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
    if value.utcoffset() is not None:
        value = value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                    value.microsecond, tzinfo=UTC)


def latest_window(schedule: Schedule, interval_start: datetime, interval_end: datetime
                  ) -> tuple[datetime, datetime] | None:
    """LatestOnlyOperator's window for a run: (its data interval start, the end of the run after it).

    None when the schedule makes no later run (manual-only, @once, events used up): that run is the latest.
    """
    if schedule.kind in (ScheduleKind.NONE, ScheduleKind.ONCE):
        return None
    from chalicelib.core import timetables

    following = timetables.following_end(schedule, _utc(interval_end))
    return None if following is None else (_utc(interval_start), following)


def _clock(schedule: Schedule) -> _CronClock | _DeltaClock:
    if schedule.cron is not None:
        return _CronClock(schedule.cron, _zone(schedule.timezone))
    return _DeltaClock(schedule.delta)


class _DeltaClock(NamedTuple):
    """DeltaTriggerTimetable: every time is on the grid; steps are absolute time."""

    step: timedelta

    def next_after(self, at: datetime) -> datetime:
        return at + self.step

    def align_next(self, at: datetime) -> datetime:
        return at

    def align_prev(self, at: datetime) -> datetime:
        return at

    def first_run(self, now: datetime) -> datetime:
        return now


class _CronClock(NamedTuple):
    """CronTriggerTimetable's fire times, in UTC, for a cron evaluated on the wall clock of `zone`."""

    expression: str
    zone: ZoneInfo

    def next_after(self, at: datetime) -> datetime:
        return self._step(at, forward=True)

    def prev_before(self, at: datetime) -> datetime:
        return self._step(at, forward=False)

    def align_next(self, at: datetime) -> datetime:
        """`at` itself if it is a fire time, else the next one."""
        upcoming = self.next_after(at)
        return at if self.prev_before(upcoming) == at else upcoming

    def align_prev(self, at: datetime) -> datetime:
        """`at` itself if it is a fire time, else the previous one."""
        past = self.prev_before(at)
        return at if self.next_after(past) == at else past

    def first_run(self, now: datetime) -> datetime:
        # No start_date and no run yet: CronTriggerTimetable(run_immediately=False) still runs the fire
        # time just passed when it is at most max(10% of the gap between fire times, 5 minutes) old.
        past, upcoming = self.align_prev(now), self.align_next(now)
        grace = max((upcoming - past) / 10, timedelta(minutes=5))
        return past if now - past <= grace else upcoming

    def _step(self, at: datetime, *, forward: bool) -> datetime:
        from croniter import croniter

        wall = at.astimezone(self.zone).replace(tzinfo=None, fold=0)
        it = croniter(self.expression, start_time=wall)
        fire = it.get_next(datetime) if forward else it.get_prev(datetime)
        if it.expanded[1] == ["*"]:
            # A cron that fires every hour moves by the wall-clock distance in absolute time, so the hour
            # repeated at the end of DST runs twice and the skipped hour not at all (Airflow's "fold hour"
            # workaround; croniter only sees naive wall-clock times). Like Airflow, this puts e.g.
            # "0 * * * 1-5" an hour off on the Monday after a weekend DST change; we keep Airflow's answer.
            return at + (fire - wall)
        return _localize(fire, self.zone)


def _localize(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall-clock time in `zone`, resolved the way Airflow resolves it.

    A repeated time (DST ends) is taken at its second occurrence, so a daily cron fires once, after the
    clock went back. A skipped time (DST starts) is read with the offset in force before the jump, which
    is the wall time shifted forward by the gap: 02:30 on a night that jumps 02:00 -> 03:00 fires at 03:30.
    """
    aware = wall.replace(tzinfo=zone, fold=1)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:  # skipped: fold=1 means "after"
        aware = wall.replace(tzinfo=zone, fold=0)
    return aware.astimezone(UTC)
