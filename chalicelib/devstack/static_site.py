"""Serve the built dashboard (frontend/dist) on the UI port, with its runtime config.json and a CSP."""

from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PLACEHOLDER = """<!doctype html><html><head><meta charset="utf-8"><title>Levante</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Levante</h1><p>The dashboard is not built yet. Run <code>make dev</code> (it builds <code>frontend/</code>
with Node 20+), or use the API at <a href="{api}/health">{api}</a> and the <code>levante</code> CLI.</p>
</body></html>"""


def content_security_policy(api_origin: str) -> str:
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            f"connect-src 'self' {api_origin}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


class _Handler(SimpleHTTPRequestHandler):
    config: bytes = b"{}"
    csp: str = ""
    placeholder: bytes | None = None

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", self.csp)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        super().end_headers()

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0]
        if path == "/config.json":
            return self._send(self.config, "application/json")
        if self.placeholder is not None and path in ("/", "/index.html"):
            return self._send(self.placeholder, "text/html; charset=utf-8")
        return super().do_GET()

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep the console quiet
        pass


def serve_dashboard(dist: Path, port: int, api_base_url: str) -> ThreadingHTTPServer:
    api_origin = api_base_url.split("/api/", 1)[0]
    handler = type("DashboardHandler", (_Handler,), {
        "config": json.dumps({"apiBaseUrl": api_base_url, "auth": "token"}).encode(),
        "csp": content_security_policy(api_origin),
        "placeholder": None if (dist / "index.html").exists() else PLACEHOLDER.format(api=api_base_url).encode(),
    })
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(handler, directory=str(dist)))
    threading.Thread(target=server.serve_forever, daemon=True, name="dashboard").start()
    return server
