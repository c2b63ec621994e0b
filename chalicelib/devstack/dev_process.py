"""`levante dev` as a child process on free ports, and the dashboard's build and browser, for the programs that
drive a whole local installation from outside: the browser tests (tests/e2e) and the dashboard benchmark
(bench/dashboard.py). Nothing here runs on Lambda.

Playwright's own browser download does not work on our machines, so Chromium comes from apt
(`apt-get install chromium`) and is launched by path.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from chalicelib.devstack.process_groups import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


class Unavailable(RuntimeError):
    """What a browser program needs is not installed here (npm, Chromium); the message says what to install."""


def chromium_path() -> str | None:
    for candidate in (os.environ.get("LEVANTE_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def launch_chromium(playwright: Any) -> Any:
    path = chromium_path()
    if path is None:
        raise Unavailable("Chromium is not installed (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)


def build_frontend() -> Path:
    """frontend/dist, built with npm when missing."""
    dist = FRONTEND / "dist"
    if (dist / "index.html").exists():
        return dist
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("frontend/dist is not built and npm is not installed (Node 20+ builds the dashboard)")
    if not (FRONTEND / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True, timeout=600)
    subprocess.run([npm, "run", "build"], cwd=FRONTEND, check=True, timeout=600)
    return dist


class DevProcess:
    """`python -m chalicelib.cli dev` in its own process group, on free ports, with fixed admin and viewer
    tokens and its own moto server (which isolates it from any other stack on the machine)."""

    def __init__(self, work: Path, dags_folder: Path, extra_env: dict[str, str] | None = None):
        self.ui, self.api_port, self.moto = free_port(), free_port(), free_port()
        self.token = "e2e-dashboard-admin-token"
        self.viewer_token = "e2e-dashboard-viewer-token"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LEVANTE_"))}
        self.env = {**env, "LEVANTE_UI_PORT": str(self.ui), "LEVANTE_API_PORT": str(self.api_port),
                    "LEVANTE_MOTO_PORT": str(self.moto), "LEVANTE_ADMIN_TOKEN": self.token,
                    "LEVANTE_VIEWER_TOKEN": self.viewer_token, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
        self.work, self.dags_folder = work, dags_folder
        self.output = work / "levante-dev.log"

    @property
    def url(self) -> str:
        return f"http://localhost:{self.ui}"

    def start(self, timeout: float = 120) -> DevProcess:
        self.log = open(self.output, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "chalicelib.cli", "dev", "--dags-folder", str(self.dags_folder),
             "--state-dir", str(self.work / "state"), "--concurrency", "4"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_for(lambda: "Levante is running" in self.output.read_text(errors="replace"), timeout, "levante dev")
        return self

    def wait_for(self, condition, timeout: float, what: str) -> None:
        def still_running() -> None:
            if self.proc.poll() is not None:
                raise AssertionError(f"levante dev exited early:\n{self.tail()}")

        try:
            wait_until(condition, timeout=timeout, what=what, interval=0.2, check=still_running)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}:\n{self.tail()}") from None

    def wait_for_first_sync(self, dags: int, timeout: float) -> None:
        """Until the DAG processor's log reports `dags` DAGs written. Its own report, not the API: until a
        first sync ends each GET /dags counts the whole index, which on moto scans every DAG item and slows
        the sync it waits for."""
        self.wait_for(lambda: f"{dags} DAGs written" in self.output.read_text(errors="replace"), timeout,
                      f"the DAG processor's first sync of {dags} DAGs")

    def tail(self) -> str:
        return self.output.read_text(errors="replace")[-4000:]

    def api(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.api_port}/api/v1{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return json.loads(text) if text else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # anything the stack left behind in its group
        except ProcessLookupError:
            pass
        self.log.close()
