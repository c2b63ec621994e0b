"""Schedules with Airflow 3 semantics. Expected values were checked against Airflow 3.3.2's timetables."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pendulum
import pytest
from dateutil.relativedelta import relativedelta

from chalicelib.core.schedule import (
    RunInfo,
    Schedule,
    ScheduleError,
    ScheduleKind,
    manual_run_info,
    next_run,
    parse_schedule,
    runs_between,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def exact(at: datetime) -> RunInfo:
    return RunInfo(at, at, at, at)


def nxt(schedule, *, start=None, end=None, catchup=False, last=None, now):
    if isinstance(schedule, (str, timedelta)) or schedule is None:
        schedule = parse_schedule(schedule)
    return next_run(schedule, start_date=start, end_date=end, catchup=catchup, last_logical_date=last, now=now)


def chain(schedule: Schedule, *, start, n: int) -> list[datetime]:
    """n successive catchup runs from start, each fed back as the last run."""
    dates, last = [], None
    for _ in range(n):
        last = nxt(schedule, start=start, catchup=True, last=last, now=start).logical_date
        dates.append(last)
    return dates


# --- parsing -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("preset", "cron"), [
    ("@hourly", "0 * * * *"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"), ("@weekly", "0 0 * * 0"),
    ("@monthly", "0 0 1 * *"), ("@quarterly", "0 0 1 */3 *"), ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"), (" @daily ", "0 0 * * *"),
])
def test_presets_expand_to_cron(preset, cron):
    assert parse_schedule(preset) == Schedule(ScheduleKind.CRON, cron=cron)


def test_every_kind():
    assert parse_schedule(None) == Schedule(ScheduleKind.NONE)
    assert parse_schedule("@once").kind == "once"
    assert parse_schedule(" 0  3 * *  MON-FRI ", "Europe/Berlin") == Schedule(
        ScheduleKind.CRON, cron="0 3 * * MON-FRI", timezone="Europe/Berlin")
    assert parse_schedule(timedelta(hours=1)) == Schedule(ScheduleKind.DELTA, delta_seconds=3600.0)
    assert parse_schedule(pendulum.duration(minutes=30)).delta == timedelta(minutes=30)


@pytest.mark.parametrize(("value", "message"), [
    ("61 * * * *", "invalid cron expression '61 * * * *': "),
    ("0 0 1 13 *", "invalid cron expression '0 0 1 13 *': "),
    ("0 0 31 2 *", "invalid cron expression '0 0 31 2 *': it matches no date"),
    ("* * * * * *", "invalid cron expression '* * * * * *': expected 5 fields"),  # seconds field
    ("every day", "invalid cron expression 'every day': expected 5 fields"),
    ("H * * * *", "invalid cron expression 'H * * * *': "),
])
def test_invalid_cron_names_the_expression(value, message):
    with pytest.raises(ScheduleError, match="^" + message.replace("*", r"\*")):
        parse_schedule(value)


class Asset:
    def __init__(self, uri):
        self.uri = uri


class CronTriggerTimetable:
    pass


@pytest.mark.parametrize(("value", "named"), [
    ("@continuous", "'@continuous'"), ("@reboot", "'@reboot'"), (3600, "(int)"), (True, "(bool)"),
    (Asset("s3://bucket/key"), "(Asset)"), ([Asset("a")], "(list)"), (CronTriggerTimetable(), "(CronTriggerTimetable)"),
    (relativedelta(months=1), "relativedelta"), (timedelta(0), "must be positive"),
    (timedelta(hours=-1), "must be positive"), (pendulum.duration(months=1), "months or years"),
])
def test_unsupported_values_are_named(value, named):
    with pytest.raises(ScheduleError, match=named.replace("(", r"\(").replace(")", r"\)")):
        parse_schedule(value)


def test_unknown_timezone():
    with pytest.raises(ScheduleError, match="unknown timezone 'Mars/Olympus'"):
        parse_schedule("@daily", "Mars/Olympus")


def test_schedule_checks_its_fields():
    assert Schedule("cron", cron="0 0 * * *").kind is ScheduleKind.CRON
    for bad in ({"kind": "cron"}, {"kind": "none", "cron": "0 0 * * *"}, {"kind": "delta"},
                {"kind": "delta", "delta_seconds": 0}, {"kind": "hourly"}):
        with pytest.raises(ScheduleError):
            Schedule(**bad)


@pytest.mark.parametrize(("value", "text"), [
    (None, "none"), ("@once", "once"), ("@daily", "cron 0 0 * * * (UTC)"), (timedelta(hours=1), "every 1:00:00"),
    (timedelta(days=1, minutes=30), "every 1 day, 0:30:00"),
])
def test_round_trip_and_describe(value, text):
    schedule = parse_schedule(value, "UTC")
    assert Schedule.from_dict(json.loads(json.dumps(schedule.to_dict()))) == schedule
    assert schedule.describe() == text


def test_round_trip_keeps_timezone():
    schedule = parse_schedule("30 2 * * *", "Europe/Berlin")
    assert Schedule.from_dict(schedule.to_dict()) == schedule
    assert schedule.describe() == "cron 30 2 * * * (Europe/Berlin)"


def test_importing_does_not_import_croniter():
    code = "import sys, chalicelib.core.schedule; print(sorted({'croniter', 'dateutil', 'pendulum'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"


# --- next_run ------------------------------------------------------------------------------------------

def test_none_never_runs():
    assert nxt(None, start=utc(2024, 1, 1), catchup=True, now=utc(2024, 6, 1)) is None


def test_catchup_starts_at_first_fire_at_or_after_start_date():
    hourly = parse_schedule("@hourly")
    assert chain(hourly, start=utc(2024, 1, 1, 0, 30), n=3) == [utc(2024, 1, 1, 1), utc(2024, 1, 1, 2),
                                                                utc(2024, 1, 1, 3)]
    assert chain(hourly, start=utc(2024, 1, 1), n=1) == [utc(2024, 1, 1)]


def test_catchup_false_runs_the_latest_missed_fire_then_follows_the_schedule():
    # Airflow's own cases: start_date yesterday, now today 00:00, daily at 16:30.
    daily = parse_schedule("30 16 * * *")
    now = utc(2021, 9, 7)
    assert nxt(daily, start=utc(2021, 9, 6), now=now) == exact(utc(2021, 9, 6, 16, 30))
    assert nxt(daily, start=utc(2021, 9, 6), last=utc(2021, 9, 6, 16, 30), now=now) == exact(utc(2021, 9, 7, 16, 30))
    # A backlog of months collapses into the most recent fire time.
    assert nxt(daily, start=utc(2021, 1, 1), last=utc(2021, 1, 1, 16, 30), now=utc(2021, 9, 7, 12)) == exact(
        utc(2021, 9, 6, 16, 30))
    assert nxt("@hourly", start=utc(2021, 9, 4), last=utc(2021, 9, 5), now=utc(2022, 7, 27, 0, 30)) == exact(
        utc(2022, 7, 27))


@pytest.mark.parametrize("catchup", [True, False])
@pytest.mark.parametrize(("now", "expected"), [
    (utc(2024, 8, 15, 3, 5), utc(2024, 8, 15, 3)),  # just after a fire time: run it
    (utc(2024, 8, 15, 12, 5), utc(2024, 8, 16, 3)),  # long after: wait for the next
])
def test_no_start_date_no_runs_yet(catchup, now, expected):
    assert nxt("0 3 * * *", catchup=catchup, now=now) == exact(expected)


def test_end_date_is_inclusive_and_stops_runs():
    daily, end = parse_schedule("@daily"), utc(2024, 1, 3)
    assert nxt(daily, start=utc(2024, 1, 1), end=end, catchup=True, last=utc(2024, 1, 2), now=end) == exact(end)
    assert nxt(daily, start=utc(2024, 1, 1), end=end, catchup=True, last=end, now=end) is None
    assert nxt(daily, start=utc(2024, 1, 1), end=end, catchup=False, now=utc(2024, 2, 1)) is None


@pytest.mark.parametrize("catchup", [True, False])
def test_start_date_in_the_future(catchup):
    start, now = utc(2199, 12, 31, 22, 30), utc(2024, 1, 1)
    assert nxt("@hourly", start=start, catchup=catchup, now=now) == exact(utc(2199, 12, 31, 23))
    assert runs_between(parse_schedule("@hourly"), start_date=start, end_date=None, catchup=catchup,
                        last_logical_date=None, now=now, limit=5) == []


@pytest.mark.parametrize("catchup", [True, False])
def test_once_runs_exactly_once_at_start_date(catchup):
    start = utc(2024, 1, 1, 12, 34)
    assert nxt("@once", start=start, catchup=catchup, now=utc(2024, 5, 1)) == exact(start)
    assert nxt("@once", start=start, catchup=catchup, last=start, now=utc(2024, 5, 1)) is None
    assert nxt("@once", catchup=catchup, now=utc(2024, 5, 1)) == exact(utc(2024, 5, 1))
    assert nxt("@once", start=start, end=utc(2024, 1, 1), catchup=catchup, now=start) is None


def test_timedelta_schedule():
    hour, start = timedelta(hours=1), utc(2022, 7, 27, 0, 30)
    assert chain(parse_schedule(hour), start=start, n=3) == [start, start + hour, start + 2 * hour]
    # Without catchup a late answer starts at `now`, unaligned, as DeltaTriggerTimetable does.
    assert nxt(hour, start=utc(2021, 9, 4), last=utc(2021, 9, 5), now=utc(2022, 7, 27, 1, 30)) == exact(
        utc(2022, 7, 27, 1, 30))
    assert nxt(hour, start=utc(2021, 9, 4), last=utc(2022, 7, 27, 1), now=utc(2022, 7, 27, 1, 30)) == exact(
        utc(2022, 7, 27, 2))
    assert nxt(timedelta(days=1), now=utc(2021, 9, 7)) == exact(utc(2021, 9, 7))


# --- DST: cron runs on the wall clock of its timezone ---------------------------------------------------

@pytest.mark.parametrize(("cron", "zone", "start", "expected_utc"), [
    pytest.param("30 2 * * *", "Europe/Berlin", utc(2024, 3, 29), [
        utc(2024, 3, 29, 1, 30), utc(2024, 3, 30, 1, 30),
        utc(2024, 3, 31, 1, 30),  # 02:30 does not exist: fires once, at 03:30 CEST
        utc(2024, 4, 1, 0, 30)], id="berlin-spring-forward"),
    pytest.param("30 2 * * *", "Europe/Berlin", utc(2024, 10, 26), [
        utc(2024, 10, 26, 0, 30),
        utc(2024, 10, 27, 1, 30),  # 02:30 happens twice: fires once, at the second (CET)
        utc(2024, 10, 28, 1, 30)], id="berlin-fall-back"),
    pytest.param("0 * * * *", "Europe/Berlin", utc(2024, 10, 26, 23), [
        utc(2024, 10, 26, 23), utc(2024, 10, 27, 0), utc(2024, 10, 27, 1),  # hourly: 02:00 CEST and 02:00 CET
        utc(2024, 10, 27, 2)], id="berlin-hourly-fall-back"),
    pytest.param("0 * * * *", "Europe/Berlin", utc(2024, 3, 31), [
        utc(2024, 3, 31, 0), utc(2024, 3, 31, 1), utc(2024, 3, 31, 2)], id="berlin-hourly-spring-forward"),
    pytest.param("30 2 * * *", "America/New_York", utc(2024, 3, 9), [
        utc(2024, 3, 9, 7, 30), utc(2024, 3, 10, 7, 30), utc(2024, 3, 11, 6, 30)], id="new-york-spring-forward"),
    pytest.param("30 1 * * *", "America/New_York", utc(2024, 11, 2), [
        utc(2024, 11, 2, 5, 30), utc(2024, 11, 3, 6, 30), utc(2024, 11, 4, 6, 30)], id="new-york-fall-back"),
])
def test_dst_transitions(cron, zone, start, expected_utc):
    assert chain(parse_schedule(cron, zone), start=start, n=len(expected_utc)) == expected_utc


def test_accepts_naive_aware_and_pendulum_datetimes():
    daily = parse_schedule("@daily")
    forms = [datetime(2024, 1, 1, 12), datetime(2024, 1, 1, 13, tzinfo=timezone(timedelta(hours=1))),
             pendulum.datetime(2024, 1, 1, 7, tz="America/New_York")]
    answers = {next_run(daily, start_date=f, end_date=None, catchup=True, last_logical_date=None, now=f)
               for f in forms}
    assert answers == {exact(utc(2024, 1, 2))}
    (answer,) = answers
    assert all(type(d) is datetime and d.tzinfo is UTC for d in answer)


# --- runs_between and manual runs -----------------------------------------------------------------------

def test_runs_between_bounds_catchup_per_tick():
    hourly = parse_schedule("@hourly")
    kwargs = {"start_date": utc(2024, 1, 1), "end_date": None, "last_logical_date": None, "now": utc(2024, 1, 2)}
    runs = runs_between(hourly, catchup=True, limit=5, **kwargs)
    assert [r.logical_date for r in runs] == [utc(2024, 1, 1, h) for h in range(5)]
    assert len(runs_between(hourly, catchup=True, limit=100, **kwargs)) == 25  # 00:00 day one .. 00:00 day two
    assert runs_between(hourly, catchup=False, limit=5, **kwargs) == [exact(utc(2024, 1, 2))]
    assert runs_between(hourly, catchup=True, limit=0, **kwargs) == []


def test_runs_between_stops_at_now_and_end_date():
    runs = runs_between(parse_schedule(timedelta(hours=6)), start_date=utc(2024, 1, 1), end_date=utc(2024, 1, 1, 12),
                        catchup=True, last_logical_date=None, now=utc(2024, 2, 1), limit=10)
    assert [r.logical_date for r in runs] == [utc(2024, 1, 1, 0), utc(2024, 1, 1, 6), utc(2024, 1, 1, 12)]
    assert runs_between(parse_schedule("@once"), start_date=utc(2024, 1, 1), end_date=None, catchup=False,
                        last_logical_date=None, now=utc(2024, 2, 1), limit=10) == [exact(utc(2024, 1, 1))]


@pytest.mark.parametrize("value", [None, "@once", "@daily", timedelta(hours=1)])
def test_manual_run_has_an_exact_interval(value):
    at = datetime(2024, 5, 6, 7, 8, 9)  # naive: UTC
    assert manual_run_info(parse_schedule(value), at) == exact(utc(2024, 5, 6, 7, 8, 9))
    info = manual_run_info(parse_schedule(value), pendulum.datetime(2024, 5, 6, tz="Europe/Berlin"),
                           run_after=utc(2024, 6, 1))
    assert info == RunInfo(utc(2024, 5, 5, 22), utc(2024, 5, 5, 22), utc(2024, 5, 5, 22), utc(2024, 6, 1))
