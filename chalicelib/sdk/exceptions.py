"""Exceptions DAG code raises or catches, under the names Airflow gives them."""

from __future__ import annotations


class AirflowException(Exception):
    """Base of the errors a task may raise to fail (retries apply)."""


class AirflowSkipException(AirflowException):
    """Raised by a task to finish as SKIPPED."""


class AirflowFailException(AirflowException):
    """Raised by a task to fail at once, without retries."""


class AirflowSensorTimeout(AirflowException):
    """A sensor ran out of time; it fails without retries (or is skipped with soft_fail)."""


class AirflowTaskTimeout(BaseException):
    """The task ran past its execution_timeout.

    A BaseException, as in Airflow 3: user code's `except Exception:` must not swallow it.
    """


class AirflowTaskTerminated(BaseException):
    """The task's process was told to stop (SIGTERM) before it finished: worker shutdown, lost ownership."""


class AirflowRescheduleException(AirflowException):
    """Raised by a reschedule-mode sensor to be run again at `reschedule_date`."""

    def __init__(self, reschedule_date):
        super().__init__(f"reschedule at {reschedule_date}")
        self.reschedule_date = reschedule_date


class ParamValidationError(AirflowException):
    """A DAG-run conf or param default does not satisfy the param's schema."""


class DagDefinitionError(AirflowException):
    """A DAG file builds something invalid: duplicate ids, cycles, bad arguments."""


class UnsupportedFeature(DagDefinitionError):
    """The DAG uses a part of Airflow's authoring API Levante does not implement."""


class AirflowDagCycleException(DagDefinitionError):
    pass


class DuplicateTaskIdFound(DagDefinitionError):
    pass


class AirflowNotFoundException(AirflowException):
    """A connection (or other named object) that does not exist."""
