"""Processes that must not outlive the process that started them.

Linux delivers a chosen signal to a process when its parent dies (`prctl(PR_SET_PDEATHSIG)`), even when
the parent was SIGKILLed and had no chance to stop its children. A supervised try uses it (a try whose
worker is gone can only waste CPU), and so do `levante dev`'s processes (API, DAG processor, scheduler,
worker): each is started in its own session, so a kill of `levante dev`'s process group does not reach
them, and without this they would keep running, holding their ports.
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import MutableMapping

_PR_SET_PDEATHSIG = 1
PARENT_PID_VARIABLE = "LEVANTE_PARENT_PID"  # set by `levante dev` for the processes it starts


def die_with_parent(signum: int = signal.SIGKILL) -> None:
    """Receive `signum` when the parent process dies (Linux; elsewhere a no-op: the parent's group kill stays)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signum))
    except (OSError, AttributeError):
        pass


def follow_parent(env: MutableMapping[str, str] = os.environ) -> None:
    """For a process started with LEVANTE_PARENT_PID: SIGTERM when that parent dies, and exit at once if it
    died before this process got here (the death signal only covers deaths after the prctl). The variable is
    removed, so what this process starts (a task's `levante ...` command) is not tied to that parent."""
    expected = env.pop(PARENT_PID_VARIABLE, None)
    if not expected:
        return
    die_with_parent(signal.SIGTERM)
    if os.getppid() != int(expected):
        raise SystemExit(f"levante: the process that started this one ({expected}) has exited")
