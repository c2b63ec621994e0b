"""Run a function in a forked child process and supervise it from the parent, as Airflow 3's supervisor does.

The parent never runs user code, so a task that holds the GIL in a long C call, swallows every exception or
blocks every signal still cannot stop the parent from heartbeating, enforcing the deadline or recording an
outcome. Timeline of one supervised child:

    parent: fork ─ select(pipe) ─ heartbeat ─ ... ─ deadline: SIGTERM ─ grace ─ SIGKILL (whole group) ─ waitpid
    child:       run target ─ log frames ─ ... ─ SIGTERM handler: on_kill, raise ─ report frame ─ _exit

Why fork and a pipe only: the DAG is already imported in the parent, so the child starts in about a
millisecond, and AWS Lambda has no /dev/shm (multiprocessing queues, pools and semaphores fail there).

The child talks to the parent through one pipe of frames: b"L" + text (a chunk of the task's log, sent as it
is written, so the parent holds the log even when the child is killed; the `on_log` callback, run in
the parent after each batch of output and at least once a second, reads `Supervised.log` to publish the
log while the task runs) and b"R" + JSON
(the child's report, the target's return value, always its last frame). Everything else the parent learns
from waitpid. The parent returns as soon as the report has arrived: what is left of the child is its exit (the
kernel tearing down a copy of the worker's memory, several milliseconds), which overlaps the parent's next
AWS calls, and the child is reaped at the next supervise() call.
"""

from __future__ import annotations

import json
import os
import select
import signal
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.lifeline import die_with_parent

_HEADER = struct.Struct(">cI")
_LOG, _REPORT = b"L", b"R"
_POLL_CAP = 1.0  # seconds: how late the parent may notice a child that exited while a grandchild holds the pipe
_exiting: set[int] = set()  # children that reported and were still exiting when their parent returned
_exiting_lock = threading.Lock()  # `levante worker` supervises from several threads


@dataclass
class Supervised:
    """What the parent observed of one child."""

    report: Any = None  # the target's return value (JSON), None when the child died before reporting
    log_sink: Any = field(default_factory=lambda: _Chunks())  # write(text) / getvalue(): the log so far
    exit_code: int | None = None  # set when the child exited by itself
    signal: int | None = None  # set when a signal ended the child
    timed_out: bool = False  # the parent sent SIGTERM because the deadline passed
    stopped: str | None = None  # why the parent terminated the child otherwise (lost ownership, shutdown)
    killed: bool = False  # the child ignored SIGTERM for the whole grace period and was SIGKILLed

    @property
    def log(self) -> str:
        return self.log_sink.getvalue()

    def describe_death(self) -> str:
        """How the child ended without a report, in the words a task log would use."""
        if self.signal is not None:
            how = f"was killed by signal {self.signal} ({signal.Signals(self.signal).name})"
        else:
            how = f"exited with code {self.exit_code}"
        return f"the task's process {how} before reporting an outcome"


class _Chunks:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def getvalue(self) -> str:
        return "".join(self.parts)


class Channel:
    """The child's end of the pipe."""

    def __init__(self, fd: int):
        self.fd = fd
        self.deadline: float | None = None  # time.monotonic() value of the parent's deadline, if any

    def log(self, text: str) -> None:
        if text:
            self._send(_LOG, text.encode("utf-8", errors="backslashreplace"))

    def report(self, value: Any) -> None:
        self._send(_REPORT, json.dumps(value, separators=(",", ":")).encode())

    def _send(self, kind: bytes, payload: bytes) -> None:
        # Threads of the task take turns; on the main thread SIGTERM is held, so its handler (which logs)
        # never writes a frame into the middle of another.
        data = _HEADER.pack(kind, len(payload)) + payload
        with _send_lock, _DeferSignals():
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view):]


class LogWriter:
    """A text stream (for logcapture's echo) whose writes become log frames."""

    def __init__(self, channel: Channel):
        self.channel = channel

    def write(self, text: str) -> int:
        self.channel.log(text)
        return len(text)

    def flush(self) -> None:
        pass


def supervise(target: Callable[[Channel], Any], *, timeout: float | None = None, kill_grace: float = 60.0,
              heartbeat: Callable[[], bool] | None = None, heartbeat_interval: float = 30.0,
              should_stop: Callable[[], str | None] = lambda: None,
              on_log: Callable[[Supervised], None] | None = None, log_sink: Any = None) -> Supervised:
    """Run `target(channel)` in a child; its return value (JSON-able) comes back as `report`.

    `log_sink` (anything with write/getvalue, e.g. a bounded buffer) receives the child's log as it comes.
    `heartbeat` is called every `heartbeat_interval` seconds while the child runs; when it returns False the
    parent no longer owns the work and terminates the child. `should_stop` returning a reason terminates it
    too (worker shutdown). Past `timeout` seconds the child gets SIGTERM, and SIGKILL `kill_grace` later.
    """
    _reap_exited()
    read_fd, write_fd = os.pipe()
    deadline = time.monotonic() + timeout if timeout and timeout > 0 else None
    # SIGTERM is blocked across the fork and unblocked by the child once its handler is set: a timeout that
    # fires while the child is still starting then raises AirflowTaskTimeout in it instead of killing it.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child_main(target, write_fd, deadline, mask)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    os.close(write_fd)
    try:
        os.setpgid(pid, pid)  # also done by the child; whichever runs first, a kill never misses the group
    except OSError:
        pass
    exit_fd = _pidfd(pid)
    try:
        parent = _Parent(pid, read_fd, exit_fd, deadline, kill_grace, heartbeat, heartbeat_interval, should_stop,
                         on_log)
        if log_sink is not None:
            parent.out.log_sink = log_sink
        return parent.run()
    finally:
        os.close(read_fd)
        if exit_fd is not None:
            os.close(exit_fd)


def _reap_exited() -> None:
    """Collect children that had reported but not yet exited when their supervise() returned."""
    with _exiting_lock:
        for pid in list(_exiting):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done == pid:
                _exiting.discard(pid)


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when the child exits (Linux 5.3+), so no polling is needed."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


_child_deadline: float | None = None  # set in the child only


def _child_main(target: Callable[[Channel], Any], write_fd: int, deadline: float | None,
                mask: set[signal.Signals]) -> None:
    global _child_deadline
    _child_deadline = deadline
    code = 0
    try:
        signal.signal(signal.SIGTERM, _raise_terminated)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the worker, which decides
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a SIGTERM sent meanwhile is handled now
        os.setpgid(0, 0)  # its own process group, so a kill reaches what the task started too
        die_with_parent()  # a child outliving a SIGKILLed worker could only waste CPU
        channel = Channel(write_fd)
        channel.deadline = deadline
        result = target(channel)
        sys.stdout.flush()  # the report is the last frame: the parent stops reading when it arrives
        sys.stderr.flush()
        channel.report(result)
    except BaseException:  # noqa: BLE001 - report nothing; the parent records how the child ended
        code = 70
        try:
            Channel(write_fd).log("".join(traceback.format_exc()))
        except BaseException:  # noqa: BLE001
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)  # never run the parent's atexit handlers or finalizers in the child


def _raise_terminated(signum: int, frame: object) -> None:
    raise termination_error(None)


def termination_error(timeout: float | None) -> BaseException:
    """What SIGTERM raises in the child: a timeout when the parent's deadline has passed, else a termination."""
    from chalicelib.sdk.exceptions import AirflowTaskTerminated, AirflowTaskTimeout

    if _child_deadline is not None and time.monotonic() >= _child_deadline - 0.05:
        return AirflowTaskTimeout(f"Task exceeded its execution_timeout of {timeout:g} seconds" if timeout
                                  else "Task exceeded its execution_timeout")
    return AirflowTaskTerminated("Task received SIGTERM signal")


_send_lock = threading.RLock()


class _DeferSignals:
    """Hold SIGTERM's Python handler while a frame is written, and run it right after."""

    pending: list[tuple[int, Any]] = []

    def __enter__(self) -> None:
        self.previous: Any = None
        if threading.current_thread() is not threading.main_thread():
            return  # Python runs signal handlers on the main thread only
        handler = signal.getsignal(signal.SIGTERM)
        if callable(handler) and handler is not _hold:
            self.previous = handler
            signal.signal(signal.SIGTERM, _hold)

    def __exit__(self, *exc: object) -> None:
        if self.previous is None:
            return
        signal.signal(signal.SIGTERM, self.previous)
        if _DeferSignals.pending:
            signum, frame = _DeferSignals.pending.pop()
            _DeferSignals.pending.clear()
            self.previous(signum, frame)


def _hold(signum: int, frame: Any) -> None:
    _DeferSignals.pending.append((signum, frame))


class _Parent:
    def __init__(self, pid: int, fd: int, exit_fd: int | None, deadline: float | None, kill_grace: float,
                 heartbeat: Callable[[], bool] | None, interval: float, should_stop: Callable[[], str | None],
                 on_log: Callable[[Supervised], None] | None):
        self.pid, self.fd, self.exit_fd, self.deadline, self.kill_grace = pid, fd, exit_fd, deadline, kill_grace
        self.heartbeat, self.interval, self.should_stop, self.on_log = heartbeat, interval, should_stop, on_log
        self.out = Supervised()
        self.buffer = bytearray()
        self.kill_at: float | None = None
        self.status: int | None = None
        self.pipe_open = True
        self.reported = False

    def run(self) -> Supervised:
        next_beat = time.monotonic() + self.interval
        while True:
            now = time.monotonic()
            wake = min(t for t in (next_beat, self.deadline, self.kill_at, now + _POLL_CAP) if t is not None)
            self._wait(max(wake - now, 0.0))
            if self.on_log is not None:  # after output, and at least every _POLL_CAP: live logs flush on time
                self.on_log(self.out)
            if self.reported or self._reaped():
                break
            now = time.monotonic()
            if self.heartbeat is not None and now >= next_beat:
                next_beat = now + self.interval
                if not self.heartbeat():
                    self._terminate(stopped="the task instance is no longer owned by this worker")
            reason = self.should_stop()
            if reason:
                self._terminate(stopped=reason)
            if self.deadline is not None and now >= self.deadline:
                self._terminate(timed_out=True)
            if self.kill_at is not None and now >= self.kill_at:
                self._kill()
        while self.pipe_open and self._read_ready(0.0):  # what the child wrote just before it exited
            pass
        if self.out.timed_out or self.out.stopped:  # leave nothing the task started behind
            _signal_group(self.pid, signal.SIGKILL, whole_group=True)
        if self.status is None and not self._reaped():  # reported, still exiting: reaped by a later call
            with _exiting_lock:
                _exiting.add(self.pid)
            self.out.exit_code = 0  # after its report a child only exits, with 0
            return self.out
        status = self.status or 0
        if os.WIFSIGNALED(status):
            self.out.signal = os.WTERMSIG(status)
        else:
            self.out.exit_code = os.WEXITSTATUS(status)
        return self.out

    def _wait(self, timeout: float) -> None:
        """Block until output, the child's exit or `timeout`; consume the output."""
        fds = [fd for fd in ((self.fd if self.pipe_open else None), self.exit_fd) if fd is not None]
        if not fds:  # no pidfd and the pipe is closed: the child is exiting, poll briefly
            time.sleep(min(timeout, 0.002))
            return
        ready, _, _ = select.select(fds, [], [], timeout)
        if self.fd in ready:
            self._read_once()

    def _read_ready(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        return bool(ready) and self._read_once()

    def _read_once(self) -> bool:
        data = os.read(self.fd, 1 << 16)
        if not data:
            self.pipe_open = False
            return False
        self.buffer += data
        self._frames()
        return True

    def _reaped(self) -> bool:
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == self.pid:
            self.status = status
            return True
        return False

    def _frames(self) -> None:
        while len(self.buffer) >= _HEADER.size:
            kind, length = _HEADER.unpack_from(self.buffer)
            if len(self.buffer) < _HEADER.size + length:
                break
            payload = bytes(self.buffer[_HEADER.size:_HEADER.size + length])
            del self.buffer[:_HEADER.size + length]
            if kind == _LOG:
                self.out.log_sink.write(payload.decode("utf-8", errors="replace"))
            elif kind == _REPORT:
                self.out.report = json.loads(payload)
                self.reported = True

    def _terminate(self, *, timed_out: bool = False, stopped: str | None = None) -> None:
        if self.kill_at is not None:
            return
        self.out.timed_out = timed_out
        self.out.stopped = stopped
        self.kill_at = time.monotonic() + self.kill_grace
        self.deadline = None
        _signal_group(self.pid, signal.SIGTERM, whole_group=False)  # the task runner's handler calls on_kill

    def _kill(self) -> None:
        self.kill_at = None
        self.out.killed = True
        _signal_group(self.pid, signal.SIGKILL, whole_group=True)


def _signal_group(pid: int, signum: int, *, whole_group: bool) -> None:
    try:
        if whole_group:
            os.killpg(pid, signum)
        else:
            os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass
