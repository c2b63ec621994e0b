"""Timetables beyond Airflow 3's defaults, as Airflow's next_dagrun_info / infer_manual_data_interval answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.schedule import RunInfo, Schedule, ScheduleKind, latest_window, manual_run_info, next_run
from chalicelib.sdk.timetables import (
    CronDataIntervalTimetable,
    CronTriggerTimetable,
    DeltaDataIntervalTimetable,
    DeltaTriggerTimetable,
    EventsTimetable,
    MultipleCronTriggerTimetable,
)

START = datetime(2024, 1, 1, tzinfo=UTC)
NOW = datetime(2024, 1, 10, 12, 30, tzinfo=UTC)


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=UTC)


def nxt(schedule: Schedule, last: datetime | None, *, catchup: bool = True, now: datetime = NOW) -> RunInfo | None:
    return next_run(schedule, start_date=START, end_date=None, catchup=catchup, last_logical_date=last, now=now)


def test_cron_data_interval_runs_cover_the_interval_before_them():
    schedule = CronDataIntervalTimetable("0 0 * * *", timezone="UTC").to_levante_schedule("UTC")

    first = nxt(schedule, None)
    second = nxt(schedule, first.logical_date)

    assert first == RunInfo(at(1), at(1), at(2), at(2))
    assert second == RunInfo(at(2), at(2), at(3), at(3))


def test_cron_data_interval_without_catchup_starts_at_the_last_complete_interval():
    schedule = CronDataIntervalTimetable("0 0 * * *", timezone="UTC").to_levante_schedule("UTC")

    assert nxt(schedule, None, catchup=False) == RunInfo(at(9), at(9), at(10), at(10))


def test_data_interval_timetable_without_start_date_never_runs_on_its_own():
    schedule = DeltaDataIntervalTimetable(timedelta(hours=6)).to_levante_schedule("UTC")

    assert next_run(schedule, start_date=None, end_date=None, catchup=True, last_logical_date=None, now=NOW) is None


def test_delta_data_interval_steps_by_delta():
    schedule = DeltaDataIntervalTimetable(timedelta(hours=6)).to_levante_schedule("UTC")

    first = nxt(schedule, None)

    assert first == RunInfo(at(1), at(1), at(1, 6), at(1, 6))
    assert nxt(schedule, first.logical_date).logical_date == at(1, 6)


def test_cron_trigger_with_interval_covers_the_interval_before_each_fire_time():
    schedule = CronTriggerTimetable("0 0 * * *", timezone="UTC", interval=timedelta(hours=1)).to_levante_schedule("UTC")

    first = nxt(schedule, None)
    second = nxt(schedule, first.logical_date)

    assert first == RunInfo(at(1) - timedelta(hours=1), at(1) - timedelta(hours=1), at(1), at(1))
    assert second.run_after == at(2)


def test_delta_trigger_is_exact_runs_every_delta():
    schedule = DeltaTriggerTimetable(timedelta(days=2)).to_levante_schedule("UTC")

    assert nxt(schedule, at(1)) == RunInfo(at(3), at(3), at(3), at(3))


def test_multiple_crons_fire_at_the_union_of_their_times():
    schedule = MultipleCronTriggerTimetable("0 3 * * *", "0 15 * * *", timezone="UTC").to_levante_schedule("UTC")

    runs = [nxt(schedule, None)]
    for _ in range(2):
        runs.append(nxt(schedule, runs[-1].logical_date))

    assert [r.run_after for r in runs] == [at(1, 3), at(1, 15), at(2, 3)]


def test_events_run_once_per_event_then_stop():
    schedule = EventsTimetable([at(5), at(2), at(20)]).to_levante_schedule("UTC")

    first = nxt(schedule, None)
    second = nxt(schedule, first.logical_date)
    third = nxt(schedule, second.logical_date)

    assert (first.logical_date, second.logical_date, third.logical_date) == (at(2), at(5), at(20))
    assert nxt(schedule, third.logical_date) is None
    assert nxt(schedule, None, catchup=False).logical_date == at(20)  # past events are skipped without catchup


@pytest.mark.parametrize(("timetable", "expected"), [
    (CronDataIntervalTimetable("0 0 * * *", timezone="UTC"), (at(9), at(10))),
    (DeltaDataIntervalTimetable(timedelta(hours=6)), (NOW - timedelta(hours=6), NOW)),
    (CronTriggerTimetable("0 0 * * *", timezone="UTC", interval=timedelta(hours=2)), (NOW - timedelta(hours=2), NOW)),
    (EventsTimetable([at(5), at(20)], restrict_to_events=True), (at(5), at(5))),
    (EventsTimetable([at(5), at(20)]), (NOW, NOW)),
])
def test_manual_runs_infer_the_data_interval_as_airflow(timetable, expected):
    info = manual_run_info(timetable.to_levante_schedule("UTC"), NOW)

    assert (info.logical_date, (info.data_interval_start, info.data_interval_end)) == (NOW, expected)


def test_schedule_round_trips_through_its_dict():
    for schedule in (
        MultipleCronTriggerTimetable("0 3 * * *", "0 15 * * *", timezone="Europe/Berlin",
                                     interval=timedelta(minutes=5)).to_levante_schedule("UTC"),
        EventsTimetable([at(5)], restrict_to_events=True).to_levante_schedule("UTC"),
        CronDataIntervalTimetable("@daily", timezone="UTC").to_levante_schedule("UTC"),
    ):
        assert Schedule.from_dict(schedule.to_dict()) == schedule


def test_first_wave_schedules_serialize_as_before():
    assert Schedule(ScheduleKind.CRON, cron="0 0 * * *").to_dict() == {
        "kind": "cron", "cron": "0 0 * * *", "delta_seconds": None, "timezone": "UTC"}


def test_latest_window_is_from_this_interval_start_to_the_next_run_end():
    daily = CronDataIntervalTimetable("0 0 * * *", timezone="UTC").to_levante_schedule("UTC")
    events = EventsTimetable([at(5), at(20)]).to_levante_schedule("UTC")

    assert latest_window(daily, at(1), at(2)) == (at(1), at(3))
    assert latest_window(events, at(5), at(5)) == (at(5), at(20))
    assert latest_window(events, at(20), at(20)) is None  # no run after the last event: it is the latest
    assert latest_window(Schedule(ScheduleKind.NONE), at(1), at(1)) is None
