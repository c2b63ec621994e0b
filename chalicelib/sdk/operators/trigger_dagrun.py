"""TriggerDagRunOperator: create a run of another DAG, optionally wait for it to finish."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterable
from typing import Any

import pendulum

from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.dagruns import DagRunAlreadyExists, dag_runs
from chalicelib.sdk.exceptions import AirflowException, AirflowRescheduleException, AirflowSkipException
from chalicelib.sdk.timeutil import utcnow

log = logging.getLogger("airflow.task")
XCOM_RUN_ID = "trigger_run_id"
XCOM_LOGICAL_DATE_ISO = "trigger_logical_date_iso"


class TriggerDagRunOperator(BaseOperator):
    template_fields = ("trigger_dag_id", "trigger_run_id", "logical_date", "conf", "wait_for_completion",
                       "skip_when_already_exists")
    template_fields_renderers = {"conf": "py"}
    ui_color = "#ffefeb"

    def __init__(self, *, trigger_dag_id: str, trigger_run_id: str | None = None, conf: dict | None = None,
                 logical_date: str | dt.datetime | None = None, reset_dag_run: bool = False,
                 wait_for_completion: bool = False, poke_interval: int = 60,
                 allowed_states: Iterable[str] | None = None, failed_states: Iterable[str] | None = None,
                 skip_when_already_exists: bool = False, fail_when_dag_is_paused: bool = False,
                 deferrable: bool = False, note: str | None = None, openlineage_inject_parent_info: bool = True,
                 run_after: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.trigger_dag_id = trigger_dag_id
        self.trigger_run_id = trigger_run_id
        self.conf = conf
        self.logical_date = logical_date
        self.reset_dag_run = reset_dag_run
        self.wait_for_completion = wait_for_completion
        self.poke_interval = poke_interval
        self.allowed_states = list(allowed_states) if allowed_states else ["success"]
        self.failed_states = list(failed_states) if failed_states else ["failed"]
        self.skip_when_already_exists = skip_when_already_exists
        self.fail_when_dag_is_paused = fail_when_dag_is_paused
        self.deferrable = deferrable
        self.note = note
        if logical_date is not None and not isinstance(logical_date, str | dt.datetime):
            raise TypeError(f"Expected str or datetime.datetime type for logical_date. Got {type(logical_date)}")

    def execute(self, context: dict[str, Any]) -> None:
        ti = context["ti"]
        # The run id is fixed by the try's first start, so a deferred wait that resumes (a reschedule under
        # the same try) finds the run it created instead of creating another.
        first_start = ti.first_try_start or utcnow()
        logical = self._logical_date()
        run_id = self.trigger_run_id or f"manual__{(logical or first_start).isoformat()}"
        resumed = ti.start_date is not None and ti.first_try_start is not None and ti.start_date > ti.first_try_start
        if not resumed:
            self._trigger(context, run_id, logical)
        if self.wait_for_completion:
            self._wait(run_id)

    def _trigger(self, context: dict[str, Any], run_id: str, logical: dt.datetime | None) -> None:
        conf = dict(self.conf or {})
        try:
            json.dumps(conf)
        except TypeError as exc:
            raise AirflowException(f"conf parameter should be JSON Serializable: {exc}") from None
        try:
            dag_runs().trigger(self.trigger_dag_id, run_id=run_id, conf=conf, logical_date=logical, note=self.note)
        except DagRunAlreadyExists:
            if self.skip_when_already_exists:
                raise AirflowSkipException(f"Skipping: run {run_id} of DAG {self.trigger_dag_id} already exists") from None
            raise
        log.info("Triggered DAG %s run %s", self.trigger_dag_id, run_id)
        context["ti"].xcom_push(XCOM_RUN_ID, run_id)
        if logical is not None:
            context["ti"].xcom_push(XCOM_LOGICAL_DATE_ISO, logical.isoformat())

    def _logical_date(self) -> dt.datetime | None:
        value = self.logical_date
        if value is None:
            return None
        if isinstance(value, str):
            value = pendulum.parse(value)
        return value if value.tzinfo else pendulum.instance(value, tz="UTC")

    def _wait(self, run_id: str) -> None:
        state = dag_runs().run_state(self.trigger_dag_id, run_id)
        log.info("Waiting for DAG %s run %s: %s", self.trigger_dag_id, run_id, state)
        if state in self.failed_states:
            raise AirflowException(f"{self.trigger_dag_id} failed with failed state {state}")
        if state in self.allowed_states:
            log.info("%s finished with allowed state %s", self.trigger_dag_id, state)
            return
        if self.deferrable:  # hold no worker while waiting: come back at the next poke
            raise AirflowRescheduleException(utcnow() + dt.timedelta(seconds=self.poke_interval))
        time.sleep(self.poke_interval)
        self._wait(run_id)
