"""`execution_timeout`: interrupt a task that runs too long.

On the main thread (Lambda, `dags test`, each worker process) SIGALRM interrupts even a blocking read or
sleep. Elsewhere a watchdog thread first calls `on_timeout` (BashOperator kills its process group, which
unblocks the reader) and then raises the timeout inside the task's thread.
"""

from __future__ import annotations

import ctypes
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from chalicelib.sdk.exceptions import AirflowTaskTimeout


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
