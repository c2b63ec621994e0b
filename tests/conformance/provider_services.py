"""Real services the provider DAGs talk to, shared by the tests and by record_providers.py (which runs the
same DAGs under real Airflow): a scripted HTTP server and a throw-away PostgreSQL cluster.

Each DAG reaches them through `AIRFLOW_CONN_*` variables (`connection_env`), the way Airflow users inject
connections, so the DAG files are identical for Airflow and Levante.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

AUTH = ("svc-user", "svc-pass-4711")


class _Handler(BaseHTTPRequestHandler):
    server: ScriptedHttpServer

    def log_message(self, *args: object) -> None:  # quiet
        return

    def do_GET(self) -> None:  # noqa: N802
        self._answer()

    def do_POST(self) -> None:  # noqa: N802
        self._answer()

    def _answer(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        hits = self.server.count(parts.path)
        self.server.bodies.append((parts.path, body))
        status, payload = route(parts.path, hits, query, body, self.headers)
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def route(path: str, hits: int, query: dict, body: str, headers: object) -> tuple[int, object]:
    """What each endpoint answers on its n-th hit (1-based): the scripts the DAGs rely on."""
    if path == "/ready":  # 404 twice ("not yet" for HttpSensor), then ready on the third poke
        return (404, {"status": "starting"}) if hits <= 2 else (200, {"status": "ready"})
    if path == "/warming":  # 503 twice, then 200: only an allow-listed 503 keeps the sensor poking
        return (503, {"status": "warming"}) if hits <= 2 else (200, {"status": "warm"})
    if path == "/flaky":  # 500 twice, then 200: the task succeeds on its third try
        return (500, {"error": "boom"}) if hits <= 2 else (200, {"value": 42})
    if path == "/broken":
        return 500, {"error": "always"}
    if path == "/items":  # three pages
        page = int(query.get("page", "1"))
        return 200, {"items": [page * 10 + 1, page * 10 + 2], "next": page + 1 if page < 3 else None}
    if path == "/secure":
        expected = "Basic " + base64.b64encode(f"{AUTH[0]}:{AUTH[1]}".encode()).decode()
        if headers.get("Authorization") != expected:  # type: ignore[attr-defined]
            return 401, {"error": "unauthorized"}
        return 200, {"user": AUTH[0], "tenant": headers.get("X-Tenant")}  # type: ignore[attr-defined]
    if path.startswith("/services/"):  # a Slack incoming webhook: "ok" for valid JSON with text or blocks
        message = json.loads(body or "{}")
        return (200, "ok") if message.get("text") or message.get("blocks") else (400, "no_text")
    if path == "/echo":
        return 200, {"body": body, "query": query}
    return 404, {"error": f"no route {path}"}


class ScriptedHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: Counter[str] = Counter()
        self.bodies: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def count(self, path: str) -> int:
        with self._lock:
            self.hits[path] += 1
            return self.hits[path]

    @property
    def port(self) -> int:
        return self.server_address[1]

    def __enter__(self) -> ScriptedHttpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise RuntimeError(f"PostgreSQL's {name} is not installed (apt-get install postgresql)")


class PostgresServer:
    """A private cluster on a free port, as a non-root user (PostgreSQL refuses to run as root)."""

    def __init__(self, user: str = "postgres"):
        self.user = user
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="levante-pg-"))
        self.data = self.dir / "data"
        self.password = "pg-pass-0815"

    def _run(self, *cmd: str) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            cmd = ("runuser", "-u", self.user, "--", *cmd)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    def __enter__(self) -> PostgresServer:
        if os.geteuid() == 0:
            shutil.chown(self.dir, self.user)
        pwfile = self.dir / "pw"
        pwfile.write_text(self.password)
        if os.geteuid() == 0:
            shutil.chown(pwfile, self.user)
        init = self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", "levante", "--auth=md5",
                         f"--pwfile={pwfile}", "-E", "UTF8")
        if init.returncode:
            raise RuntimeError(f"initdb failed: {init.stderr[-2000:]}")
        start = self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-w", "-t", "60", "-l", str(self.dir / "log"),
                          "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        if start.returncode:
            log = (self.dir / "log").read_text() if (self.dir / "log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {start.stderr[-2000:]}\n{log[-2000:]}")
        deadline = time.monotonic() + 30
        while self._run(_pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL is not accepting connections after 30 s")
            time.sleep(0.2)
        return self

    @property
    def uri(self) -> str:
        return f"postgres://levante:{quote(self.password, safe='')}@127.0.0.1:{self.port}/postgres"

    def __exit__(self, *exc: object) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


class MariaDbServer:
    """A private MariaDB on a free port (from Debian's mariadb-server), run as the `mysql` user."""

    def __init__(self, user: str = "mysql"):
        self.user = user
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="levante-mariadb-"))
        self.password = "my-pass-4242"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> MariaDbServer:
        install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
        server = shutil.which("mariadbd") or shutil.which("mysqld") or "/usr/sbin/mariadbd"
        if not install or not Path(server).exists():
            raise RuntimeError("MariaDB is not installed (apt-get install mariadb-server)")
        (self.dir / "init.sql").write_text(
            f"CREATE USER IF NOT EXISTS 'levante'@'127.0.0.1' IDENTIFIED BY '{self.password}';\n"
            "GRANT ALL ON *.* TO 'levante'@'127.0.0.1';\nCREATE DATABASE IF NOT EXISTS levante;\n")
        if os.geteuid() == 0:
            shutil.chown(self.dir, self.user)
            shutil.chown(self.dir / "init.sql", self.user)
        init = subprocess.run([install, "--no-defaults", f"--datadir={self.dir / 'data'}", f"--user={self.user}",
                               "--auth-root-authentication-method=normal", "--skip-test-db"],
                              capture_output=True, text=True, timeout=180)
        if init.returncode:
            raise RuntimeError(f"mariadb-install-db failed: {init.stderr[-2000:]}")
        self.proc = subprocess.Popen(
            [server, "--no-defaults", f"--datadir={self.dir / 'data'}", f"--port={self.port}",
             "--bind-address=127.0.0.1", f"--socket={self.dir / 'sock'}", f"--pid-file={self.dir / 'pid'}",
             f"--user={self.user}", f"--init-file={self.dir / 'init.sql'}", "--skip-log-bin",
             "--innodb-buffer-pool-size=16M", "--skip-name-resolve"],
            stdout=subprocess.DEVNULL, stderr=open(self.dir / "err.log", "wb"))  # noqa: SIM115
        deadline = time.monotonic() + 60
        while not self._accepting():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = (self.dir / "err.log").read_text(errors="replace")
                self.__exit__()
                raise RuntimeError(f"MariaDB did not start:\n{log[-2000:]}")
            time.sleep(0.2)
        return self

    def _accepting(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    @property
    def uri(self) -> str:
        return f"mysql://levante:{quote(self.password, safe='')}@127.0.0.1:{self.port}/levante"

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def connection_env(*, http_port: int | None = None, sqlite_path: str | None = None,
                   postgres_uri: str | None = None, mysql_uri: str | None = None) -> dict[str, str]:
    env = {}
    if http_port is not None:
        env["AIRFLOW_CONN_SVC_HTTP"] = f"http://127.0.0.1:{http_port}"
        env["AIRFLOW_CONN_SVC_SECURE"] = json.dumps({
            "conn_type": "http", "host": "127.0.0.1", "port": http_port, "login": AUTH[0], "password": AUTH[1],
            "extra": {"X-Tenant": "acme"}})
    if sqlite_path is not None:
        env["AIRFLOW_CONN_SVC_SQLITE"] = "sqlite://" + quote(sqlite_path, safe="")
    if postgres_uri is not None:
        env["AIRFLOW_CONN_SVC_POSTGRES"] = postgres_uri
    if mysql_uri is not None:
        env["AIRFLOW_CONN_SVC_MYSQL"] = mysql_uri
    return env
