"""Start the local stack in one foreground process tree; Ctrl-C (or SIGTERM) stops all of it.

    levante dev ─┬─ moto server (thread, 127.0.0.1:5000) DynamoDB, SQS, S3; this start's key only, no CORS
                 ├─ dashboard (thread, :8080)           frontend/dist + config.json, /api proxied to :8000
                 ├─ API (process, :8000)                chalice local serving app.py, JSON errors only
                 ├─ levante dag-processor --watch       a new bundle on every change of the DAGs folder,
                 │                                       each file parsed in a child process
                 ├─ levante scheduler (process)         the same tick, every 2 s (serialized DAGs only)
                 └─ levante worker --concurrency N      the same handler, fed by SQS
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.api.auth import TOKEN_VARIABLES, token_problems
from chalicelib.core.states import TaskState
from chalicelib.devstack import moto_state
from chalicelib.devstack.moto_guard import Credentials
from chalicelib.devstack.ports import Ports
from chalicelib.lifeline import PARENT_PID_VARIABLE

ROOT = Path(__file__).resolve().parents[2]


class DevError(Exception):
    """A problem the user can fix; printed as one line."""


@dataclass
class DevOptions:
    dags_folder: str
    ports: Ports
    concurrency: int = 4
    state_dir: str | None = None
    scheduler_interval: float = 2.0
    token: str | None = None


@dataclass
class Children:
    procs: list[subprocess.Popen] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str], log_dir: Path | None) -> subprocess.Popen:
        out = open(log_dir / f"{name}.log", "ab") if log_dir else None  # noqa: SIM115 - closed with the process
        env = {**env, PARENT_PID_VARIABLE: str(os.getpid())}  # the child ends if this process dies (lifeline.py)
        proc = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True,
                                stdout=out or None, stderr=subprocess.STDOUT if out else None)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=5)
        for proc in self.procs:  # grandchildren (worker pool processes) share the group
            _signal_group(proc, signal.SIGKILL)

    def check(self) -> None:
        for proc in self.procs:
            if proc.poll() is not None:
                raise DevError(f"{' '.join(proc.args[1:3])} exited with code {proc.returncode}; see the log above")


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def preflight(options: DevOptions) -> None:
    if not Path(options.dags_folder).is_dir():
        raise DevError(f"DAGs folder {options.dags_folder} does not exist: create it or pass --dags-folder PATH")
    if not (ROOT / "app.py").exists():
        raise DevError(f"app.py not found in {ROOT}: run levante dev from a Levante checkout")
    problems = options.ports.busy()
    if problems:
        raise DevError("; ".join(problems))


def run_dev(options: DevOptions, *, out=sys.stdout) -> int:
    preflight(options)
    tokens = dev_tokens(options)
    recording = moto_state.prepare_environment(options.state_dir)
    ports = options.ports
    moto_url = f"http://127.0.0.1:{ports.moto}"
    api_base = f"http://localhost:{ports.ui}/api/v1"  # the UI server proxies /api: one origin for the browser
    credentials = Credentials.generate()
    env = dev_environment(os.environ, options, moto_url, credentials)
    os.environ.update({k: env[k] for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                           "AWS_DEFAULT_REGION", "AWS_REGION")})
    started = time.monotonic()
    moto = moto_state.start_moto(ports.moto, credentials.access_key_id)
    children = Children()
    stopping = {"flag": False}

    def on_term(*_: object) -> None:
        stopping["flag"] = True

    signal.signal(signal.SIGTERM, on_term)
    dashboard = None
    try:
        restored = moto_state.restore(recording, ports.moto, credentials.access_key_id) if recording else 0
        _init_and_requeue(restored)
        from chalicelib.devstack.static_site import serve_dashboard

        dashboard = serve_dashboard(ROOT / "frontend" / "dist", ports.ui, ports.api)
        log_dir = None
        levante = [sys.executable, "-m", "chalicelib.cli"]
        # Only the API holds the tokens: the scheduler and workers (and so every task) never see them.
        children.start("api", [sys.executable, "-m", "chalicelib.devstack.api_server", "--port", str(ports.api)],
                       {**env, **tokens}, log_dir)
        children.start("dag-processor", [*levante, "dag-processor", "--watch", "--interval", "1",
                                         "--dags-folder", env["LEVANTE_DAGS_FOLDER"]], env, log_dir)
        children.start("scheduler", [*levante, "scheduler", "--interval", str(options.scheduler_interval)], env, log_dir)
        children.start("worker", [*levante, "worker", "--concurrency", str(options.concurrency),
                                  "--dags-folder", env["LEVANTE_DAGS_FOLDER"]], env, log_dir)
        _wait_healthy(f"http://127.0.0.1:{ports.api}/api/v1/health", children)
        _banner(out, ports, api_base, moto_url, tokens["LEVANTE_ADMIN_TOKEN"], options, restored,
                time.monotonic() - started, credentials)
        while not stopping["flag"]:
            children.check()
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl-C or SIGTERM must not cut the stop short and leave the children running.
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
        print("\nlevante dev: stopping...", file=out, flush=True)
        children.stop()
        if dashboard is not None:
            dashboard.shutdown()
        moto.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def dev_tokens(options: DevOptions, env: dict[str, str] | None = None) -> dict[str, str]:
    """The API's tokens: the admin one given or generated, operator/viewer when set; each >= 16 characters."""
    env = dict(os.environ) if env is None else env
    tokens = {name: env[name] for name in TOKEN_VARIABLES if env.get(name)}
    tokens["LEVANTE_ADMIN_TOKEN"] = options.token or tokens.get("LEVANTE_ADMIN_TOKEN") or secrets.token_urlsafe(24)
    problems = token_problems(tokens)
    if problems:
        raise DevError("; ".join(problems))
    return tokens


def dev_environment(base: dict[str, str] | os._Environ, options: DevOptions, moto_url: str,
                    credentials: Credentials) -> dict[str, str]:
    """What the stack's processes inherit: the caller's environment minus any Levante token or AWS profile."""
    region = base.get("AWS_DEFAULT_REGION", "us-east-1")
    env = {k: v for k, v in base.items() if k not in TOKEN_VARIABLES and k not in _NOT_INHERITED}
    env.update({
        "AWS_ENDPOINT_URL": moto_url, **credentials.env(), "AWS_DEFAULT_REGION": region, "AWS_REGION": region,
        "LEVANTE_DAGS_FOLDER": str(Path(options.dags_folder).resolve()),
        "LEVANTE_UI_ORIGIN": f"http://localhost:{options.ports.ui}",
        "PYTHONUNBUFFERED": "1",
    })
    return env


# Real AWS credentials must not reach the local stack (or its tasks) by accident.
_NOT_INHERITED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def _init_and_requeue(restored: int) -> None:
    from chalicelib.services.backend import Backend
    from chalicelib.services.resources import init_resources

    backend = Backend()
    init_resources(backend)
    if restored:  # messages replayed from before the restart carry stale receipts: start the queue afresh
        from chalicelib.taskqueue import SqsTaskQueue

        queue = SqsTaskQueue(backend.settings)
        queue.client.purge_queue(QueueUrl=queue.url)
        from datetime import UTC, datetime

        from chalicelib.store.timefmt import parse_iso
        from chalicelib.taskqueue import TaskMessage

        now = datetime.now(UTC)
        later = now.replace(year=now.year + 1)
        for item in backend.runs.by_active_state(TaskState.QUEUED, later):
            queue.send([(TaskMessage(item.dag_id, item.run_id, item.task_id, int(item.try_number)), 0)])
        for state in (TaskState.UP_FOR_RETRY, TaskState.UP_FOR_RESCHEDULE):  # retries waiting on a (purged) delayed message
            for item in backend.runs.by_active_state(state, later):
                if item.delayed_try is not None and item.next_retry_at:
                    wait = (parse_iso(item.next_retry_at) - now).total_seconds()
                    queue.send([(TaskMessage(item.dag_id, item.run_id, item.task_id, int(item.delayed_try)),
                                 int(min(max(wait, 0), 900) + 0.999))])  # never before retry_delay


def _wait_healthy(url: str, children: Children, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children.check()
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise DevError(f"the API did not answer at {url} within {timeout:g}s")


def _banner(out, ports: Ports, api_base: str, moto_url: str, token: str, options: DevOptions, restored: int,
            took: float, credentials: Credentials) -> None:
    state = (f"kept in {options.state_dir} ({restored} requests restored)" if options.state_dir
             else "in memory only: runs, logs and variables are lost when you stop (use --state-dir DIR to keep them)")
    lines = [
        "",
        f"Levante is running (ready in {took:.1f}s). Ctrl-C stops everything.",
        f"  Dashboard  http://localhost:{ports.ui}",
        f"  Sign in    http://localhost:{ports.ui}/#token={token}",
        f"  API        {api_base}   (Authorization: Bearer <token>)",
        f"  AWS (moto) {moto_url}   (127.0.0.1 only, no browser access; Levante's processes hold its key)",
        f"  Admin token {token}",
        f"  CLI        in another shell: export AWS_ENDPOINT_URL={moto_url} "
        f"AWS_ACCESS_KEY_ID={credentials.access_key_id} AWS_SECRET_ACCESS_KEY={credentials.secret_access_key}",
        f"  DAGs       {options.dags_folder} (each change becomes a new bundle version within about 1s)",
        f"  Workers    {options.concurrency}",
        f"  State      {state}",
        "",
    ]
    print("\n".join(lines), file=out, flush=True)
