"""Capture what a task prints and logs into its own buffer, one buffer per thread.

`sys.stdout`/`sys.stderr` and the root logger are routed once; while a thread holds a capture, its output
goes to that capture's buffer (and optionally echoes to the real stderr), so concurrent tasks in one
worker process never mix their logs.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from chalicelib.core.limits import DEFAULT_LOG_MAX_BYTES, BoundedText
from chalicelib.sdk.masker import masker

_local = threading.local()
_install_lock = threading.Lock()
_installed = False
_handler: logging.Handler | None = None
# Loggers whose records are the task runner's own lines in a task log ("Task failed...", "calling on_kill").
_TASK_LOGGERS = ("levante.task", "airflow.task")


_MAX_PARTIAL_LINE = 1024 * 1024


class TaskLog:
    """A task's log, masked as it is written: whole lines pass through the secrets masker, so a secret
    printed in pieces (`print(a, b)` writes several chunks) is still caught within its line."""

    def __init__(self, echo: TextIO | None, max_bytes: int | None = None, keep: bool = True):
        # Kept up to LEVANTE_LOG_MAX_BYTES, then only counted (a marker line says so): a task printing
        # 200 MB costs the limit in memory, not 200 MB.
        self._buffer = BoundedText(max_bytes if max_bytes is not None else log_limit())
        self._echo = echo
        self._keep = keep  # False: only echoed (a supervised child streams its log to the worker)
        self._partial = ""

    def write(self, text: str) -> None:
        text = self._partial + text
        complete, newline, self._partial = text.rpartition("\n")
        if newline:
            self._emit(complete + newline)
        if len(self._partial) > _MAX_PARTIAL_LINE:  # a line that never ends must not grow without bound
            partial, self._partial = self._partial, ""
            self._emit(partial)

    def _emit(self, text: str) -> None:
        text = masker().mask_text(text)
        if self._keep:
            self._buffer.write(text)
        if self._echo is not None:
            self._echo.write(text)

    def getvalue(self) -> str:
        if self._partial:
            partial, self._partial = self._partial, ""
            self._emit(partial)
        return self._buffer.getvalue()


class _Router(io.TextIOBase):
    def __init__(self, original: TextIO):
        self.original = original

    def write(self, text: str) -> int:
        target = getattr(_local, "log", None)
        if target is None:
            return self.original.write(text)
        target.write(text)
        return len(text)

    def flush(self) -> None:
        self.original.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.original.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.original, "encoding", "utf-8")


class _Handler(logging.Handler):
    """Task-thread records go to the task log; others keep the default last-resort behaviour."""

    def __init__(self, original_stderr: TextIO):
        super().__init__(logging.INFO)
        self.setFormatter(_Formatter())
        self._stderr = original_stderr

    def filter(self, record: logging.LogRecord) -> bool:
        # Filters others add to every root handler (powertools' Logger drops records of loggers named after
        # its service, "levante.*", to avoid duplicate console lines) must not cut lines out of a task log.
        return True if getattr(_local, "log", None) is not None else super().filter(record)

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "_levante_routed", False):  # attached to root and to a non-propagating ancestor
            return
        record._levante_routed = True
        target = getattr(_local, "log", None)
        if target is not None:
            target.write(self.format(record) + "\n")
        elif record.levelno >= logging.WARNING:
            self._stderr.write(self.format(record) + "\n")


class _Formatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("[%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}+0000"


def log_limit() -> int:
    raw = os.environ.get("LEVANTE_LOG_MAX_BYTES", "").strip()
    return int(raw) if raw.isdecimal() and int(raw) > 0 else DEFAULT_LOG_MAX_BYTES


def install() -> None:
    global _installed, _handler
    with _install_lock:
        if _installed:
            return
        original_stderr = sys.stderr
        sys.stdout = _Router(sys.stdout)  # type: ignore[assignment]
        sys.stderr = _Router(sys.stderr)  # type: ignore[assignment]
        root = logging.getLogger()
        _handler = _Handler(original_stderr)
        root.addHandler(_handler)
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
        for noisy in ("botocore", "boto3", "urllib3", "s3transfer", "pynamodb"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        _installed = True


@contextmanager
def capture(echo: TextIO | None = None, keep: bool = True) -> Iterator[TaskLog]:
    """Route this thread's output into a fresh TaskLog for the duration of the block (`keep=False`: only
    to `echo`, for a caller that streams the log elsewhere)."""
    install()
    _ensure_routed()
    log = TaskLog(echo, keep=keep)
    previous = getattr(_local, "log", None)
    _local.log = log
    try:
        yield log
    finally:
        _local.log = previous


def capturing() -> bool:
    """True while this thread's output goes to a task log (console handlers use it to stay quiet)."""
    return getattr(_local, "log", None) is not None



def _ensure_routed() -> None:
    """Someone (a test runner, a library, a DAG file's `logging.basicConfig(force=True)` or `dictConfig`) may
    have swapped sys.stdout/stderr, removed the root handler or disabled loggers since install: route again."""
    with _install_lock:
        if not isinstance(sys.stdout, _Router):
            sys.stdout = _Router(sys.stdout)  # type: ignore[assignment]
        if not isinstance(sys.stderr, _Router):
            sys.stderr = _Router(sys.stderr)  # type: ignore[assignment]
        root = logging.getLogger()
        if _handler is not None and _handler not in root.handlers:
            root.addHandler(_handler)
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
        for name in _TASK_LOGGERS:
            logger = logging.getLogger(name)
            logger.disabled = False
            # Chalice sets propagate=False on its app logger ("levante"): records of levante.* stop there and
            # never reach root. The handler sits on such an ancestor too (emit skips a record seen twice).
            while logger is not None and logger is not root:
                if not logger.propagate and _handler is not None and _handler not in logger.handlers:
                    logger.addHandler(_handler)
                logger = logger.parent


def real_stderr() -> TextIO:
    """The process's stderr behind the router (for echoing task logs to a terminal)."""
    stream = sys.stderr
    return stream.original if isinstance(stream, _Router) else stream
