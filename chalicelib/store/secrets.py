"""The secrets store: connections and secret variables as SSM Parameter Store SecureStrings.

One parameter per connection (`/<prefix>-<stage>/connections/<conn_id>`, its JSON form) and per secret
variable (`/<prefix>-<stage>/variables/<key>`), encrypted at rest with the account's `aws/ssm` KMS key. The
same path layout as Airflow's SystemsManagerParameterStoreBackend, and IAM scoped to the stage's path.
Why SSM rather than Secrets Manager: see docs/connections.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

from chalicelib.store.errors import BadRequestError, NotFoundError
from chalicelib.store.settings import Settings

CONNECTIONS = "connections"
VARIABLES = "variables"
STANDARD_LIMIT = 4096  # bytes: larger values need the Advanced tier (8 KB)
ADVANCED_LIMIT = 8192
NAME = re.compile(r"[A-Za-z0-9_.-]{1,200}")


def secrets_path(settings: Settings) -> str:
    """The stage's root in Parameter Store (IAM policies are scoped to it)."""
    return f"/{settings.base}"


class SecretTooLarge(ValueError):
    pass


class SecretsStore:
    def __init__(self, settings: Settings, client: Any = None):
        self.settings = settings
        self.root = secrets_path(settings)
        self._client = client
        self.writes = 0  # bumped on every put/delete: readers caching values (the API's masker) reload

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            endpoint = os.environ.get("AWS_ENDPOINT_URL_SSM") or os.environ.get("AWS_ENDPOINT_URL")
            self._client = boto3.client("ssm", region_name=self.settings.region, endpoint_url=endpoint)
        return self._client

    def path(self, kind: str, name: str) -> str:
        if not NAME.fullmatch(name):
            raise BadRequestError(f"{name!r} cannot be stored as a secret: use 1-200 letters, digits, '_', '.' or '-'")
        return f"{self.root}/{kind}/{name}"

    def get(self, kind: str, name: str) -> str | None:
        if not NAME.fullmatch(name):
            return None  # such a name could never have been stored
        try:
            reply = self.client.get_parameter(Name=self.path(kind, name), WithDecryption=True)
        except self.client.exceptions.ParameterNotFound:
            return None
        return reply["Parameter"]["Value"]

    def put(self, kind: str, name: str, value: str, *, description: str | None = None) -> None:
        size = len(value.encode())
        if size > ADVANCED_LIMIT:
            raise SecretTooLarge(f"{kind[:-1]} {name!r} is {size} bytes; the secrets store holds at most {ADVANCED_LIMIT}")
        request: dict[str, Any] = {"Name": self.path(kind, name), "Value": value, "Type": "SecureString",
                                   "Overwrite": True, "Tier": "Standard" if size <= STANDARD_LIMIT else "Advanced"}
        if description:
            request["Description"] = description[:1024]
        self.client.put_parameter(**request)
        self.writes += 1

    def delete(self, kind: str, name: str) -> None:
        try:
            self.client.delete_parameter(Name=self.path(kind, name))
            self.writes += 1
        except self.client.exceptions.ParameterNotFound:
            raise NotFoundError(f"{kind[:-1]} {name!r} not found") from None

    def items(self, kind: str) -> Iterator[tuple[str, str]]:
        """(name, value) of every secret of a kind, by path: 10 per request, decrypted."""
        prefix = f"{self.root}/{kind}/"
        for page in self.client.get_paginator("get_parameters_by_path").paginate(
                Path=prefix.rstrip("/"), Recursive=False, WithDecryption=True):
            for param in page["Parameters"]:
                yield param["Name"][len(prefix):], param["Value"]

    # The SDK's ConnectionStore / VariableStore protocols (duck-typed: the store never imports the SDK).
    def get_connection(self, conn_id: str) -> str | None:
        return self.get(CONNECTIONS, conn_id)

    def get_variable(self, key: str) -> str | None:
        return self.get(VARIABLES, key)
