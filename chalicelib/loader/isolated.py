"""Import DAG files in child processes, so no DAG file can stall, crash or exhaust the process that parses.

One forked child per file, a pipe back (not multiprocessing: Lambda has no /dev/shm, so its queues and
pools fail there). The child lowers its own address-space limit (RLIMIT_AS) before importing and sends
back the serialized DAGs or the import error as JSON. The parent waits at most `timeout` seconds, then
kills the child's whole process group with SIGKILL: user code can catch an exception in a loop, but not
SIGKILL. A child that dies without answering (os._exit, a segfault, the kernel's OOM killer) becomes an
import error naming how it died. The parent never imports user code.
"""

from __future__ import annotations

import json
import os
import select
import signal
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

DEFAULT_TIMEOUT = float(os.environ.get("LEVANTE_DAG_PROCESSOR_TIMEOUT", "30"))
DEFAULT_MEMORY_MB = int(os.environ.get("LEVANTE_DAG_PROCESSOR_MEMORY_MB", "1024"))
DEFAULT_PARALLEL = int(os.environ.get("LEVANTE_DAG_PROCESSOR_PARALLEL", "4"))


@dataclass(frozen=True)
class ParseLimits:
    timeout: float = DEFAULT_TIMEOUT  # seconds per file, then SIGKILL
    memory_mb: int = DEFAULT_MEMORY_MB  # address space a file's import may add
    parallel: int = DEFAULT_PARALLEL  # children at once


@dataclass(frozen=True)
class FileOutcome:
    relpath: str
    specs: list[dict[str, Any]] = field(default_factory=list)  # DagSpec dicts, fileloc = relpath
    error: dict[str, Any] | None = None  # ImportErrorRecord.to_dict()
    duration_s: float = 0.0


@dataclass
class _Child:
    pid: int
    fd: int
    path: str
    relpath: str
    started: float
    chunks: list[bytes] = field(default_factory=list)


def parse_files(folder: str, paths: list[str], limits: ParseLimits = ParseLimits()) -> list[FileOutcome]:
    """Every file's DAGs or import error, in the order of `paths`."""
    folder = os.path.abspath(folder)
    _preload()
    pending = list(paths)
    running: dict[int, _Child] = {}
    done: dict[str, FileOutcome] = {}
    while pending or running:
        while pending and len(running) < max(1, limits.parallel):
            child = _start(folder, pending.pop(0), limits)
            running[child.fd] = child
        now = time.monotonic()
        wait = max(0.0, min(c.started + limits.timeout for c in running.values()) - now)
        ready, _, _ = select.select(list(running), [], [], wait)
        for fd in ready:
            child = running[fd]
            data = os.read(fd, 1 << 16)
            if data:
                child.chunks.append(data)
                continue
            del running[fd]
            done[child.path] = _finish(child, killed=False, limits=limits)
        now = time.monotonic()
        for fd, child in list(running.items()):
            if now - child.started >= limits.timeout:
                _kill(child.pid)
                del running[fd]
                done[child.path] = _finish(child, killed=True, limits=limits)
    return [done[os.path.abspath(p)] for p in paths]


def _preload() -> None:
    """Levante's own modules, imported once here so every forked child starts with them (no user code)."""
    from chalicelib.loader import airflow_shim, dagbag, serialize  # noqa: F401
    from chalicelib.sdk.operators import bash, empty, python  # noqa: F401

    airflow_shim.install()


def _start(folder: str, path: str, limits: ParseLimits) -> _Child:
    path = os.path.abspath(path)
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():  # fork with threads alive: the child only imports, and is killed if stuck
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child_main(folder, path, write_fd, limits)
    os.close(write_fd)
    return _Child(pid, read_fd, path, os.path.relpath(path, folder), time.monotonic())


def _child_main(folder: str, path: str, write_fd: int, limits: ParseLimits) -> None:
    code = 0
    try:
        os.setsid()  # its own process group: the timeout kills whatever the DAG file started too
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
            signal.signal(sig, signal.SIG_DFL)
        _limit_memory(limits.memory_mb)
        payload = _parse(folder, path, limits.timeout)
    except BaseException as exc:  # noqa: BLE001 - the parent gets a message, never a hanging child
        payload = {"specs": [], "error": {"filename": os.path.relpath(path, folder), "lineno": None,
                                          "message": f"{type(exc).__name__}: {exc}", "traceback": ""}}
        code = 1
    try:
        data = json.dumps(payload, default=str).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view):]
    except BaseException:  # noqa: BLE001
        code = 2
    os._exit(code)


def _parse(folder: str, path: str, timeout: float) -> dict[str, Any]:
    from chalicelib.loader import dagbag
    from chalicelib.loader.serialize import dag_to_spec

    dagbag.IMPORT_TIMEOUT_SECONDS = timeout  # the polite in-process timeout first; SIGKILL follows it
    bag = dagbag.DagBag(folder, only_file=path)
    relpath = os.path.relpath(path, folder)
    specs = [{**dag_to_spec(dag).to_dict(), "fileloc": relpath} for dag in bag.dags.values()]
    errors = [e.to_dict() for e in bag.import_errors.values()]
    return {"specs": specs, "error": errors[0] if errors else None}


def _limit_memory(memory_mb: int) -> None:
    """Cap the address space at what the (forked) child already maps plus `memory_mb`."""
    import resource

    if memory_mb <= 0:
        return
    limit = _mapped_bytes() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _mapped_bytes() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _kill(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


def _finish(child: _Child, *, killed: bool, limits: ParseLimits) -> FileOutcome:
    _, status = os.waitpid(child.pid, 0)
    os.close(child.fd)
    duration = time.monotonic() - child.started
    if killed:
        return _failed(child, duration, f"DAG file import timed out after {limits.timeout:g}s and was killed "
                                        "(LEVANTE_DAG_PROCESSOR_TIMEOUT)")
    data = b"".join(child.chunks)
    try:
        payload = json.loads(data) if data else None
    except ValueError:
        payload = None
    if payload is None:
        return _failed(child, duration, _death(status))
    error = payload.get("error")
    if error and str(error.get("message", "")).startswith("MemoryError"):
        error = {**error, "message": f"{str(error['message']).rstrip(': ')}: the file's import needed more than the "
                                     f"{limits.memory_mb} MB allowed (LEVANTE_DAG_PROCESSOR_MEMORY_MB)"}
    return FileOutcome(child.relpath, list(payload.get("specs") or []), error, duration)


def _death(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        hint = " (out of memory?)" if sig == signal.SIGKILL else ""
        return f"DAG file import crashed: the process was killed by signal {name}{hint}"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return f"DAG file import exited with code {code} before finishing (os._exit or a crash in an extension?)"


def _failed(child: _Child, duration: float, message: str) -> FileOutcome:
    return FileOutcome(child.relpath, [], {"filename": child.relpath, "lineno": None, "message": message,
                                           "traceback": ""}, duration)
