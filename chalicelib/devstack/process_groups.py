"""Subprocesses of a local stack, each in its own process group, so teardown can kill all of it and prove it.

Used by the end-to-end tests and the benchmarks that run the real processes (`levante dev` keeps its own
smaller `Children`, which needs no proof of teardown)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

from chalicelib.devstack.ports import free_port

__all__ = ["ProcessGroups", "free_port", "group_members", "http_answers", "wait_until"]


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.05,
               check: Callable[[], None] | None = None) -> None:
    """Poll `condition` until it holds or the deadline passes; `check` may raise to give up early."""
    deadline = time.monotonic() + timeout
    while True:
        if check is not None:
            check()
        if condition():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not ready after {timeout:g}s")
        time.sleep(interval)


def http_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status < 500
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in a process group; an orphaned zombie waits for init, it runs nothing."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: signal 0 tells whether any member (zombies included) exists
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        return [pgid]
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdecimal():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


class ProcessGroups:
    """Starts commands in new sessions (one process group each, children included) and kills them all."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: Sequence[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - owned by the process until teardown
        proc = subprocess.Popen(list(argv), env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def assert_running(self) -> None:
        dead = {name: p.returncode for name, p in self.procs.items() if p.poll() is not None}
        assert not dead, f"stack processes exited early: {dead}\n" + "\n".join(
            f"--- {name} ---\n{self.log(name)[-3000:]}" for name in dead)

    def stop(self, name: str, grace: float = 5.0) -> None:
        """Kill one process group (SIGTERM, then SIGKILL after `grace`) and forget it."""
        proc = self.procs.pop(name)
        _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while group_members(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)

    def kill_all(self, grace: float = 5.0) -> list[int]:
        """SIGTERM every group, SIGKILL what is left after `grace`; the pids still alive after that."""
        for proc in self.procs.values():
            _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(group_members(p.pid) for p in self.procs.values()):
            time.sleep(0.05)
        for proc in self.procs.values():
            if group_members(proc.pid):
                _signal_group(proc.pid, signal.SIGKILL)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        survivors: list[int] = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            survivors = [pid for p in self.procs.values() for pid in group_members(p.pid)]
            if not survivors:
                break
            time.sleep(0.05)
        return survivors


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
