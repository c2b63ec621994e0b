"""Serve the built dashboard (frontend/dist) on the UI port, with its runtime config.json and a CSP.

`/api/...` is proxied to the local API: the dashboard calls its own origin, so it works whatever host
name the browser uses (127.0.0.1 or localhost) and needs no CORS at all.
"""

from __future__ import annotations

import http.client
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


API_PREFIX = "/api/"
MAX_PROXIED_BODY = 1024 * 1024
# Hop-by-hop headers (RFC 9110 7.6.1) are the proxy's own business, not forwarded either way.
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
               "transfer-encoding", "upgrade", "host", "content-length"}


def content_security_policy() -> str:
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


class _Handler(SimpleHTTPRequestHandler):
    config: bytes = b"{}"
    csp: str = ""
    placeholder: bytes | None = None
    api_port: int = 0
    protocol_version = "HTTP/1.1"

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", self.csp)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        super().end_headers()

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0]
        if path.startswith(API_PREFIX):
            return self._proxy()
        if path == "/config.json":
            return self._send(self.config, "application/json")
        if self.placeholder is not None and path in ("/", "/index.html"):
            return self._send(self.placeholder, "text/html; charset=utf-8")
        return super().do_GET()

    def do_POST(self) -> None:  # noqa: N802
        self._proxy_or_405()

    do_PATCH = do_PUT = do_DELETE = do_OPTIONS = do_POST  # noqa: N815 - http.server naming

    def _proxy_or_405(self) -> None:
        if self.path.split("?", 1)[0].startswith(API_PREFIX):
            return self._proxy()
        body = json.dumps({"error": "method_not_allowed", "detail": f"{self.command} is not allowed here"}).encode()
        self._send(body, "application/json", 405)

    def _proxy(self) -> None:
        """Forward the request to the API on 127.0.0.1 and relay its answer (bodies are small: API pages)."""
        length = self.headers.get("Content-Length", "0").strip() or "0"
        if not length.isdecimal() or int(length) > MAX_PROXIED_BODY:
            body = json.dumps({"error": "payload_too_large",
                               "detail": f"request bodies are limited to {MAX_PROXIED_BODY} bytes"}).encode()
            self.close_connection = True
            return self._send(body, "application/json", 413)
        payload = self.rfile.read(int(length)) if int(length) else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        connection = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=60)
        try:
            connection.request(self.command, self.path, body=payload, headers=headers)
            response = connection.getresponse()
            body = response.read()
        except OSError as exc:
            body = json.dumps({"error": "bad_gateway", "detail": f"the local API did not answer: {exc}"}).encode()
            return self._send(body, "application/json", 502)
        finally:
            connection.close()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send(self, body: bytes, content_type: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep the console quiet
        pass


def serve_dashboard(dist: Path, port: int, api_port: int) -> ThreadingHTTPServer:
    handler = type("DashboardHandler", (_Handler,), {
        # Relative: the browser resolves it against whatever origin it loaded the dashboard from.
        "config": json.dumps({"apiBaseUrl": "/api/v1", "auth": "token"}).encode(),
        "csp": content_security_policy(),
        "api_port": api_port,
        "placeholder": None if (dist / "index.html").exists() else PLACEHOLDER.format(api="/api/v1").encode(),
    })
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(handler, directory=str(dist)))
    threading.Thread(target=server.serve_forever, daemon=True, name="dashboard").start()
    return server
