"""LatestOnlyOperator: skip the direct downstream tasks unless this run is the latest scheduled one."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from chalicelib.core.schedule import latest_window
from chalicelib.sdk.operators.branch import BaseBranchOperator
from chalicelib.sdk.timeutil import utcnow

log = logging.getLogger("airflow.task")


class LatestOnlyOperator(BaseBranchOperator):
    """A manual run, or the last run a schedule will make, always proceeds (Airflow's rules)."""

    ui_color = "#e9ffdb"

    def choose_branch(self, context: dict[str, Any]) -> str | Iterable[str]:
        run = context["dag_run"]
        downstream = sorted(self.downstream_task_ids)
        if run.run_type == "manual":
            log.info("Manually triggered DAG_Run: allowing execution to proceed.")
            return downstream
        window = latest_window(self.dag.parsed_schedule, run.data_interval_start, run.data_interval_end)
        if window is None:
            log.info("Last scheduled execution: allowing execution to proceed.")
            return downstream
        now = utcnow()
        left, right = window
        log.info("Checking latest only with left_window: %s right_window: %s now: %s", left, right, now)
        if not left < now <= right:
            log.info("Not latest execution, skipping downstream.")
            return []
        log.info("Latest, allowing execution to proceed.")
        return downstream
