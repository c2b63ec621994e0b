"""Airflow 1/2 helpers that DAG files still call, kept working with a deprecation warning each.

`days_ago`, `apply_defaults`, `airflow.configuration.conf` and `airflow.utils.state.State`: small, behaviour-compatible versions of what Airflow 2 offered.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pendulum

from chalicelib.core.states import RunState, TaskState
from chalicelib.sdk.exceptions import AirflowException


def days_ago(n: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0) -> pendulum.DateTime:
    """Midnight UTC today minus `n` days (Airflow 2's `airflow.utils.dates.days_ago`)."""
    today = pendulum.now("UTC").replace(hour=hour, minute=minute, second=second, microsecond=microsecond)
    return today - timedelta(days=n)


def apply_defaults(func: Callable) -> Callable:
    """Airflow 1's operator decorator: default_args are applied to every operator since Airflow 2."""
    return func


class AirflowConfigException(AirflowException):
    pass


# The few options DAG files read; anything else comes from AIRFLOW__SECTION__KEY or the caller's fallback.
_DEFAULTS = {
    ("core", "dags_folder"): lambda: os.environ.get("LEVANTE_DAGS_FOLDER", os.path.abspath("dags")),
    ("core", "default_timezone"): lambda: "utc",
    ("core", "load_examples"): lambda: "False",
    ("core", "executor"): lambda: "LevanteExecutor",
    ("core", "dags_are_paused_at_creation"): lambda: "True",
    ("logging", "base_log_folder"): lambda: os.path.abspath("logs"),
    ("webserver", "base_url"): lambda: "http://localhost:8080",
    ("api", "base_url"): lambda: "http://localhost:8080",
}
_NO_FALLBACK: Any = object()


class AirflowConfig:
    """`airflow.configuration.conf`: Levante has no airflow.cfg; options come from the environment."""

    def get(self, section: str, key: str, fallback: Any = _NO_FALLBACK, **_: Any) -> Any:
        env = os.environ.get(f"AIRFLOW__{section.upper()}__{key.upper()}")
        if env is not None:
            return env
        default = _DEFAULTS.get((section.lower(), key.lower()))
        if default is not None:
            return default()
        if fallback is not _NO_FALLBACK:
            return fallback
        raise AirflowConfigException(
            f"section/key [{section}/{key}] not found in config (set AIRFLOW__{section.upper()}__{key.upper()})"
        )

    def getboolean(self, section: str, key: str, fallback: Any = _NO_FALLBACK, **_: Any) -> bool:
        value = self.get(section, key, fallback)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("t", "true", "1", "yes", "on"):
            return True
        if text in ("f", "false", "0", "no", "off", ""):
            return False
        raise AirflowConfigException(f"[{section}] {key} is not a boolean: {value!r}")

    def getint(self, section: str, key: str, fallback: Any = _NO_FALLBACK, **_: Any) -> int:
        return int(self.get(section, key, fallback))

    def getfloat(self, section: str, key: str, fallback: Any = _NO_FALLBACK, **_: Any) -> float:
        return float(self.get(section, key, fallback))

    def has_option(self, section: str, key: str) -> bool:
        return self.get(section, key, None) is not None

    def getsection(self, section: str) -> dict[str, str]:
        prefix = f"AIRFLOW__{section.upper()}__"
        return {k[len(prefix):].lower(): v for k, v in os.environ.items() if k.startswith(prefix)}


conf = AirflowConfig()


class State:
    """`airflow.utils.state.State`: the state names as class attributes."""

    NONE = None
    SCHEDULED = TaskState.SCHEDULED.value
    QUEUED = TaskState.QUEUED.value
    RUNNING = TaskState.RUNNING.value
    SUCCESS = TaskState.SUCCESS.value
    FAILED = TaskState.FAILED.value
    SKIPPED = TaskState.SKIPPED.value
    UPSTREAM_FAILED = TaskState.UPSTREAM_FAILED.value
    UP_FOR_RETRY = TaskState.UP_FOR_RETRY.value
    UP_FOR_RESCHEDULE = TaskState.UP_FOR_RESCHEDULE.value
    REMOVED = TaskState.REMOVED.value
    finished = frozenset({SUCCESS, FAILED, SKIPPED, UPSTREAM_FAILED, REMOVED})


TaskInstanceState = TaskState
DagRunState = RunState
