"""SSM Parameter Store reads that are not secrets-store entries (e.g. the API's tokens, one parameter per role)."""

from __future__ import annotations

from typing import Any


def parameters_under(path: str, ssm: Any = None) -> dict[str, str]:
    """Every parameter directly under `path`, decrypted: {last name segment: value}."""
    import boto3

    ssm = ssm or boto3.client("ssm")
    found: dict[str, str] = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=path, WithDecryption=True):
        for parameter in page["Parameters"]:
            found[parameter["Name"].rsplit("/", 1)[1]] = parameter["Value"]
    return found
