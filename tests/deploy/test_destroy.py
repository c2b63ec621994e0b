"""`levante destroy` on the states a stack can be in, under moto: a stack whose change set never ran, a
stage that keeps its data (prod) and `--delete-data`. Plain CloudFormation templates of the same shape as
the stage's (retained tables and data bucket, a dashboard bucket that goes)."""

from __future__ import annotations

import json

import boto3
import pytest

from chalicelib.cli.main import main
from chalicelib.deploy import aws as deploy_aws
from chalicelib.deploy.stacks import Stacks

RETAIN = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
TEMPLATE = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
    "RunsTable": {"Type": "AWS::DynamoDB::Table", **RETAIN, "Properties": {
        "TableName": "levante-prod-runs", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}},
    "DataBucket": {"Type": "AWS::S3::Bucket", **RETAIN, "Properties": {"BucketName": "levante-prod-data-x"}},
    "DashboardBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "levante-prod-dashboard-x"}},
}}


def create(execute: bool = True) -> Stacks:
    s3 = boto3.client("s3")
    deploy_aws.ensure_bucket(s3, "artifacts", "us-east-1")
    s3.put_object(Bucket="artifacts", Key="t.json", Body=json.dumps(TEMPLATE).encode())
    stacks = Stacks(boto3.client("cloudformation"), "levante-prod", say=lambda _: None, sleep=lambda _: None)
    url = "https://artifacts.s3.us-east-1.amazonaws.com/t.json"
    if execute:
        assert stacks.deploy(url, {})
        s3.put_object(Bucket="levante-prod-data-x", Key="logs/a.log", Body=b"log")
        s3.put_object(Bucket="levante-prod-dashboard-x", Key="index.html", Body=b"<html>")
    else:  # what a deploy interrupted after its change set leaves: REVIEW_IN_PROGRESS
        stacks.cloudformation.create_change_set(StackName="levante-prod", ChangeSetName="c1", ChangeSetType="CREATE",
                                                TemplateURL=url)
    deploy_aws.put_token(boto3.client("ssm"), "/levante-prod/tokens", "admin", "admin-token-0123456789")
    return stacks


def buckets() -> set[str]:
    return {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}


def test_prod_keeps_its_tables_and_data_bucket_and_says_so(aws, capsys):
    stacks = create()

    assert main(["destroy", "--stage", "prod", "--yes"]) == 0

    out = capsys.readouterr().out
    assert stacks.status() is None
    assert "levante-prod-runs" in boto3.client("dynamodb").list_tables()["TableNames"]
    assert "levante-prod-data-x" in buckets() and "levante-prod-dashboard-x" not in buckets()
    assert boto3.client("s3").list_objects_v2(Bucket="levante-prod-data-x")["KeyCount"] == 1  # data untouched
    assert "kept (delete with --delete-data)" in out and "levante-prod-runs" in out
    assert deploy_aws.get_token(boto3.client("ssm"), "/levante-prod/tokens", "admin") is None


def test_delete_data_removes_what_prod_would_keep(aws):
    create()

    assert main(["destroy", "--stage", "prod", "--yes", "--delete-data"]) == 0

    assert "levante-prod-runs" not in boto3.client("dynamodb").list_tables()["TableNames"]
    assert not {"levante-prod-data-x", "levante-prod-dashboard-x"} & buckets()


def test_a_stack_whose_change_set_never_ran_is_deleted(aws, capsys):
    stacks = create(execute=False)
    assert stacks.status() == "REVIEW_IN_PROGRESS"

    assert main(["destroy", "--stage", "prod", "--yes"]) == 0

    assert stacks.status() is None


def test_destroying_nothing_is_not_an_error(aws, capsys):
    assert main(["destroy", "--stage", "prod", "--yes"]) == 0
    assert "does not exist: nothing to delete" in capsys.readouterr().out


@pytest.mark.parametrize("stage", ["prod"])
def test_deploy_without_credentials_or_region_says_what_is_missing(monkeypatch, capsys, stage):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")

    assert main(["deploy", "--stage", stage]) == 1
    assert "no AWS region" in capsys.readouterr().err
