"""Sensors: poke until a condition holds, in `poke` mode (sleeping between pokes) or `reschedule` mode.

In reschedule mode a poke that is not done ends the try as UP_FOR_RESCHEDULE; the scheduler runs it again
at the next poke time under the same try number, freeing the worker in between.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.exceptions import (
    AirflowException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
)
from chalicelib.sdk.timeutil import to_seconds, utcnow

log = logging.getLogger("airflow.task")


class PokeReturnValue:
    def __init__(self, is_done: bool, xcom_value: Any = None):
        self.is_done = is_done
        self.xcom_value = xcom_value

    def __bool__(self) -> bool:
        return bool(self.is_done)


class BaseSensorOperator(BaseOperator):
    ui_color = "#e6f1f2"
    is_sensor = True
    valid_modes = ("poke", "reschedule")

    def __init__(self, *, poke_interval: timedelta | float = 60, timeout: timedelta | float = 7 * 24 * 3600,
                 soft_fail: bool = False, mode: str = "poke", exponential_backoff: bool = False,
                 max_wait: timedelta | float | None = None, silent_fail: bool = False,
                 never_fail: bool = False, deferrable: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        # Levante defers by rescheduling: the next poke is a delayed message, no worker waits meanwhile.
        self.deferrable = deferrable
        if deferrable:
            mode = "reschedule"
        if mode not in self.valid_modes:
            raise AirflowException(f"task {self.task_id!r}: mode must be one of {self.valid_modes}, got {mode!r}")
        self.poke_interval = to_seconds(poke_interval)
        self.timeout = to_seconds(timeout)
        self.soft_fail = soft_fail
        self.mode = mode
        self.exponential_backoff = exponential_backoff
        self.max_wait = to_seconds(max_wait)
        self.silent_fail = silent_fail
        self.never_fail = never_fail
        if self.poke_interval < 0 or self.timeout < 0:
            raise AirflowException(f"task {self.task_id!r}: poke_interval and timeout must be >= 0")

    def poke(self, context: dict[str, Any]) -> bool | PokeReturnValue:
        raise NotImplementedError(f"{type(self).__name__} must implement poke()")

    def execute(self, context: dict[str, Any]) -> Any:
        ti = context["ti"]
        started = ti.first_try_start or utcnow()
        poke_count = 1
        while True:
            result = self._poke_once(context)
            if result:
                log.info("Success criteria met. Exiting.")
                return result.xcom_value if isinstance(result, PokeReturnValue) else None
            elapsed = (utcnow() - started).total_seconds()
            if elapsed > self.timeout:
                message = f"Sensor has timed out; run duration of {elapsed:.1f} seconds exceeds the specified timeout of {self.timeout:g}."
                if self.soft_fail:
                    raise AirflowSkipException(message)
                raise AirflowSensorTimeout(message)
            interval = self._interval(context, poke_count)
            if self.mode == "reschedule":
                next_poke = utcnow() + timedelta(seconds=interval)
                raise AirflowRescheduleException(self.reschedule_at(context, next_poke))
            log.info("Sleeping %.1f seconds before the next poke", interval)
            time.sleep(interval)
            poke_count += 1

    def reschedule_at(self, context: dict[str, Any], next_poke: datetime) -> datetime:
        """When a rescheduled sensor pokes again; sensors waiting for a known moment may say it."""
        return next_poke

    def _poke_once(self, context: dict[str, Any]) -> bool | PokeReturnValue:
        try:
            return self.poke(context)
        except (AirflowSensorTimeout, AirflowSkipException, AirflowRescheduleException):
            raise
        except Exception:
            if self.never_fail or self.silent_fail:
                log.exception("Sensor poke failed; continuing (silent_fail/never_fail)")
                return False
            raise

    def _interval(self, context: dict[str, Any], poke_count: int) -> float:
        if not self.exponential_backoff:
            return self.poke_interval
        ti = context["ti"]
        min_backoff = max(int(self.poke_interval * (2 ** (poke_count - 2))), 1)
        digest = hashlib.sha1(f"{ti.dag_id}#{ti.task_id}#{ti.run_id}#{poke_count}".encode()).hexdigest()
        interval = min_backoff + int(digest, 16) % min_backoff
        if self.max_wait is not None:
            interval = min(interval, self.max_wait)
        return float(interval)
