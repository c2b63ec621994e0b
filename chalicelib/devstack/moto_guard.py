"""The moto server of `levante dev`, reachable only by Levante's own processes.

moto answers any request: no authentication, and CORS headers reflecting any `Origin`. On a developer's
machine that let any web page the browser opened read every variable through fetch() to
127.0.0.1:5000. The guard in front of moto's WSGI app:

- binds loopback only (127.0.0.1);
- refuses any request carrying an `Origin` header (browsers send it on every cross-origin fetch; boto3
  never does) and every CORS preflight, and strips `Access-Control-*` from moto's answers;
- refuses a `Host` other than 127.0.0.1/localhost (DNS rebinding: a page on evil.example resolved to
  127.0.0.1 would otherwise be "same origin");
- requires the stack's access key id, random per `levante dev` start (a `--state-dir` recording is
  re-keyed before it is replayed). The key id works as a shared secret: signatures are not verified.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str

    @classmethod
    def generate(cls) -> Credentials:
        # An AWS-looking key id (botocore does not care, but tools that print it redact it properly).
        return cls("LVNT" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30))

    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}


def access_key_of(environ: dict[str, Any]) -> str | None:
    """The access key id a request was signed with (header or presigned-URL query)."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match.group(1)
    query = environ.get("QUERY_STRING", "")
    match = re.search(r"(?:^|&)X-Amz-Credential=([^%/&]+)(?:%2F|/)", query)
    return match.group(1) if match else None


class MotoGuard:
    """WSGI middleware in front of moto: see the module docstring for each rule."""

    def __init__(self, app: Callable[..., Iterable[bytes]], access_key_id: str):
        self.app = app
        self.access_key_id = access_key_id.encode()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        problem = self.refusal(environ)
        if problem is not None:
            body = json.dumps({"error": "forbidden", "detail": problem}).encode()
            start_response("403 Forbidden", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]

        def without_cors(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            return start_response(status, kept, exc_info) if exc_info else start_response(status, kept)

        return self.app(environ, without_cors)

    def refusal(self, environ: dict[str, Any]) -> str | None:
        if "HTTP_ORIGIN" in environ or environ.get("REQUEST_METHOD") == "OPTIONS":
            return "this AWS endpoint serves Levante's processes only, not web pages"
        host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0] if "]" not in environ.get("HTTP_HOST", "") \
            else environ.get("HTTP_HOST", "").rsplit("]", 1)[0] + "]"
        if host not in _LOCAL_HOSTS:
            return f"unexpected Host {host!r}: this endpoint answers on 127.0.0.1 only"
        key = access_key_of(environ)
        if key is None or not hmac.compare_digest(key.encode(), self.access_key_id):
            return "unknown credentials: use the access key levante dev gives its own processes"
        return None


class GuardedMotoServer:
    """moto's WSGI app behind MotoGuard, served on 127.0.0.1 in a thread (same lifecycle as ThreadedMotoServer)."""

    def __init__(self, port: int, access_key_id: str):
        self.port = port
        self.access_key_id = access_key_id
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        from chalicelib.devstack.moto_atomic import install

        install()  # DynamoDB's conditional writes atomic, as Levante's claims need (devstack/moto_atomic.py)

        app = MotoGuard(DomainDispatcherApplication(create_backend_app), self.access_key_id)
        self._server = make_server("127.0.0.1", self.port, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="moto")
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)
