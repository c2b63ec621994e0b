"""chalicelib/lifeline.py: a process started by `levante dev` follows it, and passes nothing on."""

from __future__ import annotations

import os

import pytest

from chalicelib.lifeline import PARENT_PID_VARIABLE, follow_parent


def test_the_variable_is_not_passed_on_to_what_the_process_starts() -> None:
    env = {PARENT_PID_VARIABLE: str(os.getppid()), "OTHER": "1"}

    follow_parent(env)

    assert env == {"OTHER": "1"}  # a task's own `levante ...` command is not tied to levante dev


def test_a_parent_already_gone_ends_the_process_at_once() -> None:
    with pytest.raises(SystemExit, match="has exited"):
        follow_parent({PARENT_PID_VARIABLE: str(os.getppid() + 1_000_000)})


def test_without_the_variable_nothing_happens() -> None:
    env: dict[str, str] = {}
    follow_parent(env)
    assert env == {}
