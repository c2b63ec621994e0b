"""API tokens on AWS: SSM SecureString parameters, read by the API at run time; rotation needs no redeploy."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.api import token_store
from chalicelib.api.auth import Role
from chalicelib.deploy import aws as deploy_aws

PATH = "/levante-prod/tokens"


@pytest.fixture
def ssm(aws, monkeypatch):
    monkeypatch.setenv(token_store.PATH_VARIABLE, PATH)
    for name in ("LEVANTE_ADMIN_TOKEN", "LEVANTE_OPERATOR_TOKEN", "LEVANTE_VIEWER_TOKEN"):
        monkeypatch.setenv(name, "env-token-that-must-be-ignored")
    monkeypatch.setattr(token_store, "_cached", [])
    return boto3.client("ssm")


def test_deploy_creates_a_secure_admin_token_once(ssm):
    assert deploy_aws.ensure_token(ssm, PATH, "admin") is True
    first = deploy_aws.get_token(ssm, PATH, "admin")
    assert deploy_aws.ensure_token(ssm, PATH, "admin") is False  # a second deploy keeps it
    parameter = ssm.get_parameter(Name=f"{PATH}/admin")["Parameter"]

    assert parameter["Type"] == "SecureString" and len(first) >= 16
    assert deploy_aws.get_token(ssm, PATH, "admin") == first


def test_the_api_reads_roles_from_ssm_not_the_environment_and_sees_a_rotation_after_the_refresh(ssm):
    deploy_aws.put_token(ssm, PATH, "admin", "admin-token-0123456789")
    deploy_aws.put_token(ssm, PATH, "viewer", "short")  # under 16 characters: never accepted
    now = [1000.0]

    table = token_store.current_tokens(clock=lambda: now[0])
    assert table.role_of("admin-token-0123456789") is Role.ADMIN
    assert table.role_of("short") is None and table.role_of("env-token-that-must-be-ignored") is None

    deploy_aws.put_token(ssm, PATH, "admin", "rotated-admin-token-9876543210")
    assert token_store.current_tokens(clock=lambda: now[0]).role_of("admin-token-0123456789") is Role.ADMIN  # cached
    now[0] += token_store.REFRESH_SECONDS + 1
    rotated = token_store.current_tokens(clock=lambda: now[0])
    assert rotated.role_of("rotated-admin-token-9876543210") is Role.ADMIN
    assert rotated.role_of("admin-token-0123456789") is None


def test_levante_tokens_rotate_replaces_the_token(ssm, capsys, monkeypatch, tmp_path):
    from chalicelib.cli.main import main

    deploy_aws.put_token(ssm, PATH, "operator", "operator-token-0123456789")
    assert main(["tokens", "rotate", "--role", "operator", "--stage", "prod"]) == 0
    printed = capsys.readouterr().out.strip()

    assert printed != "operator-token-0123456789" and len(printed) >= 16
    assert deploy_aws.get_token(ssm, PATH, "operator") == printed
    assert main(["tokens", "get", "--role", "operator", "--stage", "prod"]) == 0
    assert capsys.readouterr().out.strip() == printed
