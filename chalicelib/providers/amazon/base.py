"""AwsBaseHook: boto3 clients with the task's credentials (the worker's role on AWS), or an `aws` connection's.

As in Airflow, a missing `aws_default` connection is not an error: boto3's default chain is used (which, on
Lambda, is the worker's role, and honours AWS_ENDPOINT_URL locally). A connection may set the keys (login /
password), `region_name`, `endpoint_url`, `aws_session_token` and `role_arn` is not supported.
"""

from __future__ import annotations

from typing import Any

from chalicelib.sdk.connection import ConnectionNotFound, get_connection
from chalicelib.sdk.hooks.base import BaseHook


class AwsBaseHook(BaseHook):
    conn_name_attr = "aws_conn_id"
    default_conn_name = "aws_default"
    conn_type = "aws"
    hook_name = "Amazon Web Services"
    client_type: str | None = None

    def __init__(self, aws_conn_id: str | None = default_conn_name, verify: Any = None, region_name: str | None = None,
                 client_type: str | None = None, resource_type: str | None = None, config: Any = None,
                 **kwargs: Any):
        super().__init__()
        self.aws_conn_id = aws_conn_id
        self.verify = verify
        self._region_name = region_name
        self.client_type = client_type or self.client_type
        self.config = config

    def _session_kwargs(self) -> tuple[dict[str, Any], dict[str, Any]]:
        session: dict[str, Any] = {}
        client: dict[str, Any] = {}
        if self.aws_conn_id:
            try:
                conn = get_connection(self.aws_conn_id)
            except ConnectionNotFound:
                conn = None
            if conn is not None:
                extra = conn.extra_dejson
                if conn.login:
                    session["aws_access_key_id"] = conn.login
                    session["aws_secret_access_key"] = conn.password
                if extra.get("aws_session_token"):
                    session["aws_session_token"] = extra["aws_session_token"]
                if extra.get("region_name"):
                    session["region_name"] = extra["region_name"]
                if extra.get("endpoint_url"):
                    client["endpoint_url"] = extra["endpoint_url"]
        if self._region_name:
            session["region_name"] = self._region_name
        if self.verify is not None:
            client["verify"] = self.verify
        if self.config is not None:
            client["config"] = self.config
        return session, client

    @property
    def region_name(self) -> str | None:
        return self.get_session().region_name

    def get_session(self) -> Any:
        import boto3

        return boto3.session.Session(**self._session_kwargs()[0])

    def get_client_type(self, client_type: str | None = None) -> Any:
        _, client_kwargs = self._session_kwargs()
        return self.get_session().client(client_type or self.client_type, **client_kwargs)

    def get_conn(self) -> Any:
        return self.get_client_type()

    @property
    def conn(self) -> Any:
        return self.get_conn()

    def test_connection(self) -> tuple[bool, str]:
        try:
            identity = self.get_client_type("sts").get_caller_identity()
        except Exception as exc:  # noqa: BLE001 - reported as the test's outcome
            return False, str(exc)
        return True, f"Connection successfully tested as {identity.get('Arn')}"
