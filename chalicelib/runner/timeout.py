"""`execution_timeout`: interrupt a task that runs too long.

Two guards with one signature, `guard(seconds, on_kill)` around the task's execute:
- `execution_timeout` (in-process: `levante dags test`, `tasks test`, DAG file imports) sets its own timer.
- `on_sigterm` (a task in a child process, runner/supervisor.py): the parent owns the timer and sends
  SIGTERM; the guard calls `on_kill` and raises the timeout (or a termination) in the task's code.

In-process, on the main thread (Lambda, `dags test`, each worker process) SIGALRM interrupts even a blocking read or
sleep. Elsewhere a watchdog thread first calls `on_timeout` (BashOperator kills its process group, which
unblocks the reader) and then raises the timeout inside the task's thread.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from chalicelib.sdk.exceptions import AirflowTaskTimeout

Guard = Callable[[float | None, Callable[[], None] | None], AbstractContextManager[None]]


@contextmanager
def execution_timeout(seconds: float | None, on_timeout: Callable[[], None] | None = None) -> Iterator[None]:
    if not seconds or seconds <= 0:
        yield
        return
    if threading.current_thread() is threading.main_thread():
        with _alarm(seconds):
            yield
    else:
        with _watchdog(seconds, on_timeout):
            yield


def _message(seconds: float) -> str:
    return f"Task exceeded its execution_timeout of {seconds:g} seconds"


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def handler(signum: int, frame: object) -> None:
        raise AirflowTaskTimeout(_message(seconds))

    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _watchdog(seconds: float, on_timeout: Callable[[], None] | None) -> Iterator[None]:
    target = threading.get_ident()
    finished = threading.Event()
    lock = threading.Lock()

    def fire() -> None:
        with lock:
            if finished.is_set():
                return
            if on_timeout is not None:
                on_timeout()
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(AirflowTaskTimeout))

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            finished.set()
        timer.cancel()


log = logging.getLogger("levante.task")


@contextmanager
def on_sigterm(seconds: float | None, on_kill: Callable[[], None] | None = None) -> Iterator[None]:
    """In a supervised child: SIGTERM from the supervisor calls `on_kill`, then raises in the task."""
    from chalicelib.runner.supervisor import termination_error

    def handler(signum: int, frame: object) -> None:
        error = termination_error(seconds)
        log.error("%s; calling on_kill", error)
        if on_kill is not None:
            try:
                on_kill()
            except Exception:  # noqa: BLE001 - the task ends either way
                log.exception("Error in on_kill")
        raise error

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
