"""The supervised `levante worker` pool: N worker processes, each running tasks on its main thread.

The parent only supervises (it never touches the queue):

    start N ── watch ──┬─ a process died: log it, start a new one (after a backoff if they keep dying)
                       ├─ a process gave up (the endpoint stayed down past the outage limit): stop all, exit 3
                       ├─ processes died `max_restarts` times within `restart_window`: stop all, exit 1
                       └─ SIGTERM / SIGINT: SIGTERM to every process (each stops its running task: SIGTERM,
                          on_kill, the try recorded), wait, SIGKILL what is left, exit 0

Processes are forked (multiprocessing's "fork" context, no queues, pools or semaphores: nothing needs
/dev/shm), so each starts with the parent's imports.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("levante.worker")

EXIT_OK, EXIT_FAILED, EXIT_OUTAGE = 0, 1, 3


@dataclass(frozen=True)
class PoolLimits:
    max_restarts: int = 10  # deaths tolerated within `restart_window` before the pool gives up
    restart_window: float = 60.0
    stop_grace: float = 70.0  # seconds for processes to finish stopping their tasks (kill grace + margin)
    outage_limit: float = 300.0  # seconds a process tolerates an unreachable endpoint
    visibility: int = 30  # seconds a received message stays hidden from other workers


def _child(dags_folder: str, limits: PoolLimits) -> None:
    from chalicelib.services.queue_poller import OutageTooLong, run_worker

    stop = threading.Event()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run_worker(dags_folder, should_stop=lambda: "the worker is shutting down" if stop.is_set() else None,
                   outage_limit=limits.outage_limit, visibility=limits.visibility, sleep=stop.wait)
    except OutageTooLong as exc:
        log.error("%s; this worker process gives up", exc)
        os._exit(EXIT_OUTAGE)


class WorkerPool:
    def __init__(self, dags_folder: str, concurrency: int, limits: PoolLimits = PoolLimits()):
        self.dags_folder, self.concurrency, self.limits = dags_folder, concurrency, limits
        self.ctx = multiprocessing.get_context("fork")
        self.processes: dict[int, Any] = {}
        self.deaths: deque[float] = deque()
        self.stopping = threading.Event()

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for slot in range(self.concurrency):
                self._start(slot)
            return self._watch()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: object) -> None:
        log.info("received %s: stopping the worker processes", signal.Signals(signum).name)
        self.stopping.set()

    def _start(self, slot: int) -> None:
        process = self.ctx.Process(target=_child, args=(self.dags_folder, self.limits), name=f"levante-worker-{slot}")
        process.start()
        self.processes[slot] = process

    def _watch(self) -> int:
        while not self.stopping.wait(0.2):
            for slot, process in list(self.processes.items()):
                if process.is_alive():
                    continue
                process.join()
                code = process.exitcode
                if code == EXIT_OUTAGE:
                    log.error("worker process %d could not reach the endpoint; stopping the worker", process.pid)
                    return EXIT_OUTAGE
                self.deaths.append(time.monotonic())
                while self.deaths and self.deaths[0] < time.monotonic() - self.limits.restart_window:
                    self.deaths.popleft()
                if len(self.deaths) > self.limits.max_restarts:
                    log.error("worker processes died %d times within %.0fs; stopping the worker",
                              len(self.deaths), self.limits.restart_window)
                    return EXIT_FAILED
                log.warning("worker process %d exited (%s); starting a new one", process.pid, _how(code))
                self._start(slot)
        return EXIT_OK

    def _stop_all(self) -> None:
        for process in self.processes.values():
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.limits.stop_grace
        for process in self.processes.values():
            process.join(timeout=max(deadline - time.monotonic(), 0))
        for process in self.processes.values():
            if process.is_alive():
                log.error("worker process %d did not stop in %.0fs; killing it", process.pid, self.limits.stop_grace)
                process.kill()
                process.join()


def _how(code: int | None) -> str:
    if code is not None and code < 0:
        return f"killed by signal {signal.Signals(-code).name}"
    return f"exit code {code}"
