"""A task log keeps the task runner's own lines whatever the process's logging went through since install:
a DAG file's `basicConfig(force=True)`, a `dictConfig` that disables existing loggers, powertools' filter."""

from __future__ import annotations

import logging
import logging.config

import pytest
from aws_lambda_powertools.logging.filters import SuppressFilter

from chalicelib.runner import logcapture


@pytest.fixture
def root_state():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    task, app = logging.getLogger("levante.task"), logging.getLogger("levante")
    app_handlers, app_propagate = list(app.handlers), app.propagate
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    task.disabled, task.propagate = False, True
    app.handlers[:], app.propagate = app_handlers, app_propagate
    for handler in root.handlers:
        handler.filters[:] = [f for f in handler.filters if not isinstance(f, SuppressFilter)]


def _task_line(message: str) -> str:
    with logcapture.capture() as log:
        logging.getLogger("levante.task").error(message)
    return log.getvalue()


def test_root_handlers_removed_after_install(root_state):
    _task_line("warm")  # installs
    logging.basicConfig(force=True, level=logging.WARNING)  # what some DAG files do at import
    assert "after basicConfig" in _task_line("after basicConfig")


def test_loggers_disabled_by_dict_config(root_state):
    _task_line("warm")
    logging.config.dictConfig({"version": 1})  # disable_existing_loggers defaults to True
    assert "after dictConfig" in _task_line("after dictConfig")


def test_a_dedup_filter_on_root_handlers(root_state):
    _task_line("warm")
    for handler in logging.getLogger().handlers:  # what powertools' Logger(service="levante") does
        handler.addFilter(SuppressFilter("levante"))
    assert "after powertools" in _task_line("after powertools")


def test_a_chalice_app_named_levante(root_state):
    _task_line("warm")
    from chalice import Chalice

    Chalice(app_name="levante")  # sets propagate=False on the "levante" logger, as app.py's import does
    assert not logging.getLogger("levante").propagate
    ours = [line for line in _task_line("after chalice").splitlines() if "ERROR - after chalice" in line and "{" in line]
    assert len(ours) == 1, ours  # the task log's own line, once (Chalice's own handler may echo it too)


def test_outside_a_capture_the_filters_still_apply(root_state, capsys):
    _task_line("warm")
    for handler in logging.getLogger().handlers:
        handler.addFilter(SuppressFilter("levante"))
    logging.getLogger("levante.task").error("suppressed outside a task")
    assert "suppressed outside a task" not in capsys.readouterr().err
