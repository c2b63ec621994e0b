"""CLI failures: a message for the user and the exit code (2 = bad input, as the CLI contract says)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def store_call(call: Callable[[], T]) -> T:
    """Run a store operation for a command: its domain errors become messages (exit 2: the input was wrong)."""
    from chalicelib.store.errors import StoreError

    try:
        return call()
    except StoreError as exc:
        raise CliError(str(exc), 2) from None
