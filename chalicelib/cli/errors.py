"""CLI failures: a message for the user and the exit code (2 = bad input, as the CLI contract says)."""

from __future__ import annotations


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code
