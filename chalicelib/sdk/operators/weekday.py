"""Branch on the current (or logical) date: BranchDayOfWeekOperator, BranchDateTimeOperator, and WeekDay."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any

import pendulum

from chalicelib.sdk.exceptions import AirflowException
from chalicelib.sdk.operators.branch import BaseBranchOperator
from chalicelib.sdk.timeutil import utcnow


class WeekDay(enum.IntEnum):
    """ISO day numbers (Monday = 1), as `airflow.utils.weekday.WeekDay`."""

    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6
    SUNDAY = 7

    @classmethod
    def get_weekday_number(cls, week_day_str: str) -> int:
        try:
            return cls[week_day_str.upper()]
        except KeyError:
            raise AttributeError(f'Invalid Week Day passed: "{week_day_str}"') from None

    @classmethod
    def convert(cls, day: str | WeekDay) -> int:
        return day if isinstance(day, WeekDay) else cls.get_weekday_number(day)

    @classmethod
    def validate_week_day(cls, week_day: str | WeekDay | Iterable[str | WeekDay]) -> set[int]:
        if isinstance(week_day, str | WeekDay):
            return {cls.convert(week_day)}
        if isinstance(week_day, Iterable):
            return {cls.convert(day) for day in week_day}
        raise TypeError(f"Unsupported Type for week_day parameter: {type(week_day)}. "
                        "Input should be iterable type: str, set, list, dict or Weekday enum type")


def reference_time(operator: Any, context: dict[str, Any], use_task_logical_date: bool) -> dt.datetime:
    """The logical date (or run_after) when asked, else now, in UTC (as Airflow's branch operators use)."""
    if use_task_logical_date:
        return context.get("logical_date") or context["dag_run"].run_after
    return utcnow()


class BranchDayOfWeekOperator(BaseBranchOperator):
    def __init__(self, *, follow_task_ids_if_true: str | Iterable[str], follow_task_ids_if_false: str | Iterable[str],
                 week_day: str | Iterable[str] | WeekDay | Iterable[WeekDay], use_task_logical_date: bool = False,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date
        self._week_day_num = WeekDay.validate_week_day(week_day)

    def choose_branch(self, context: dict[str, Any]) -> str | Iterable[str]:
        now = reference_time(self, context, self.use_task_logical_date)
        if not self.use_task_logical_date:  # Airflow compares today's weekday on the DAG's wall clock
            now = pendulum.instance(now).in_timezone(self.dag.timezone)
        if now.isoweekday() in self._week_day_num:
            return self.follow_task_ids_if_true
        return self.follow_task_ids_if_false


class BranchDateTimeOperator(BaseBranchOperator):
    def __init__(self, *, follow_task_ids_if_true: str | Iterable[str], follow_task_ids_if_false: str | Iterable[str],
                 target_lower: dt.datetime | dt.time | None, target_upper: dt.datetime | dt.time | None,
                 use_task_logical_date: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        if target_lower is None and target_upper is None:
            raise AirflowException("Both target_upper and target_lower are None. At least one must be defined "
                                   "to be compared to the current datetime")
        self.target_lower = target_lower
        self.target_upper = target_upper
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.use_task_logical_date = use_task_logical_date

    def choose_branch(self, context: dict[str, Any]) -> str | Iterable[str]:
        now = reference_time(self, context, self.use_task_logical_date)
        lower, upper = target_times_as_dates(now, self.target_lower, self.target_upper)
        lower, upper = _in_zone(lower, self.dag.timezone), _in_zone(upper, self.dag.timezone)
        if upper is not None and upper < now:
            return self.follow_task_ids_if_false
        if lower is not None and lower > now:
            return self.follow_task_ids_if_false
        return self.follow_task_ids_if_true


def target_times_as_dates(base: dt.datetime, lower: dt.datetime | dt.time | None,
                          upper: dt.datetime | dt.time | None) -> tuple[Any, Any]:
    """Times of day become datetimes on `base`'s date; an upper time before the lower one is the next day."""
    if isinstance(lower, dt.datetime) and isinstance(upper, dt.datetime):
        return lower, upper
    if isinstance(lower, dt.time):
        lower = dt.datetime.combine(base, lower)
    if isinstance(upper, dt.time):
        upper = dt.datetime.combine(base, upper)
    if lower is None or upper is None:
        return lower, upper
    if upper < lower:
        upper += dt.timedelta(days=1)
    return lower, upper


def _in_zone(value: dt.datetime | None, timezone: str) -> dt.datetime | None:
    """A naive datetime is wall-clock time in the DAG's timezone (Airflow's coerce_datetime)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return pendulum.instance(value, tz=pendulum.timezone(timezone))
    return value
