"""The API of `levante dev`: `chalice local`'s server, with every error in the API's `{"error","detail"}` form.

`chalice local` answers some requests before the app sees them: an unknown route gets API Gateway's
`{"message": "Missing Authentication Token"}`, and http.server's own refusals (431 headers too large,
414, 400, 501) are HTML pages. Clients (the dashboard, the CLI) read one error shape, so this handler
writes those too as JSON. Requests inside the app get the same shape from `routing.error_envelope`.

    python -m chalicelib.devstack.api_server --port 8000
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from chalice.local import ChaliceRequestHandler, ForbiddenError, LocalDevServer, LocalGatewayException

from chalicelib.lifeline import follow_parent

ROOT = Path(__file__).resolve().parents[2]
MAX_REQUEST_BYTES = 1024 * 1024  # API Gateway's own limit is 10 MB; no Levante body comes near 1 MB
_ERRORS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
           408: "request_timeout", 413: "payload_too_large", 414: "uri_too_long", 415: "unsupported_media_type",
           431: "request_header_fields_too_large", 500: "internal_error", 501: "not_implemented",
           505: "http_version_not_supported"}


def error_body(status: int, detail: str) -> bytes:
    return json.dumps({"error": _ERRORS.get(status, "error"), "detail": detail}).encode()


class JsonErrorRequestHandler(ChaliceRequestHandler):
    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server's refusals (bad request line, 414, 431, unknown method): JSON instead of its HTML page.
        body = error_body(code, message or explain or self.responses.get(code, ("error",))[0])
        self.send_response(code, message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def _parse_payload(self) -> tuple[dict[str, Any], bytes | None]:
        length = self.headers.get("content-length", "0").strip() or "0"
        if not length.isdecimal():
            raise _Refused(400, "the Content-Length header is not a number")
        if int(length) > MAX_REQUEST_BYTES:
            raise _Refused(413, f"the request body is larger than {MAX_REQUEST_BYTES} bytes")
        return super()._parse_payload()

    def _generic_handle(self) -> None:
        try:
            super()._generic_handle()
        except _Refused as refused:
            self.send_error(refused.status, refused.detail)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle  # noqa: N815

    def _send_error_response(self, error: LocalGatewayException) -> None:
        body = error.body or b""
        if isinstance(error, ForbiddenError) and (b"Missing Authentication Token" in body
                                                  or b"Authorization header requires" in body):
            # API Gateway's answers for a path no route matches (without / with an Authorization header).
            path = self.path.split("?", 1)[0]
            error.headers = {**error.headers, "Content-Type": "application/json"}
            self._send_http_response(404, dict(error.headers),
                                     error_body(404, f"no API route matches {self.command} {path}"))
            return
        try:
            parsed = json.loads(body) if body else {}
        except ValueError:
            parsed = {}
        if not (isinstance(parsed, dict) and set(parsed) >= {"error", "detail"}):
            detail = parsed.get("message") if isinstance(parsed, dict) else None
            body = error_body(error.CODE, str(detail or self.responses.get(error.CODE, ("error",))[0]))
        self._send_http_response(error.CODE, {**error.headers, "Content-Type": "application/json"}, body)


class _Refused(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


def create_server(host: str, port: int, stage: str = "local") -> LocalDevServer:
    from chalice.cli.factory import CLIFactory
    from chalice.local import CustomLocalChalice, LocalChalice

    config = CLIFactory(project_dir=str(ROOT)).create_config_obj(chalice_stage_name=stage)
    app = config.chalice_app
    # What chalice.local.create_local_server does, with our handler class.
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=JsonErrorRequestHandler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.devstack.api_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="local")
    args = parser.parse_args(argv)
    follow_parent()  # started by `levante dev`: ends with it
    from chalicelib.api.auth import token_problems

    problems = token_problems()
    if problems:  # refused at start: a short token is never a credential
        print("levante api: " + "; ".join(problems), file=sys.stderr)
        return 2
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    server = create_server(args.host, args.port, args.stage)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
