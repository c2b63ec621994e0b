"""The CloudFormation that `chalice package --merge-template` adds to Chalice's template, for one stage.

Nothing here restates a name or a key: tables and indexes come from the PynamoDB models
(`chalicelib/store/models.py`), resource names from `Settings` fed with the stage's environment variables,
timeouts, memory and concurrency from `.chalice/config.json`, IAM statements from `chalicelib/deploy/policies.py`
(built from the same names), the Lambda runtime from `chalicelib/deploy/target.py`.

    python infra/generate.py --stage dev [--out FILE]      # `levante package` runs this, then chalice

The merge also reaches into what Chalice generates (checked by tests/deploy): the functions get fixed names,
the chosen runtime, the data bucket's name (global, so it carries the account and region), log groups with a
retention and a dependency on the data resources; the worker's SQS event source gets a maximum concurrency;
the DAG processor gets its S3 event and safety timer (chalicelib/deploy/processor_triggers.py); the roles get
the generated policies.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from chalicelib.deploy import alarms, api_gateway, names, policies, processor_triggers  # noqa: E402
from chalicelib.deploy.stage import DATA_FUNCTIONS, FUNCTIONS, TOKEN_READERS, Stage, UnknownStage  # noqa: E402
from chalicelib.deploy.target import LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME  # noqa: E402
from chalicelib.store.models import build_models  # noqa: E402
from chalicelib.store.settings import Settings  # noqa: E402

# Stages whose tables and data bucket outlive `levante destroy` (their data is the product).
RETAINED_STAGES = frozenset({"prod"})
LOG_RETENTION_DAYS = {"prod": 90}  # other stages: 14
WORKER_EVENT = "WorkerSqsEventSource"
RECORDING_MARGIN_SECONDS = 30  # of the worker's timeout, kept for writing the log, XCom and state
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # AWS managed CloudFront cache policy


def logical_id(table_name: str, settings: Settings) -> str:
    short = table_name.removeprefix(f"{settings.base}-")
    return "".join(part.capitalize() for part in short.split("-")) + "Table"


def table_resource(model: Any, retain: bool) -> dict[str, Any]:
    """The CloudFormation form of PynamoDB's own create_table request for `model`."""
    schema = model._get_schema()
    properties: dict[str, Any] = {
        "TableName": model.Meta.table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": sorted(schema["attribute_definitions"], key=lambda a: a["AttributeName"]),
        "KeySchema": _keys(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
    }
    if schema["global_secondary_indexes"]:
        properties["GlobalSecondaryIndexes"] = [_index(i) for i in schema["global_secondary_indexes"]]
    if schema["local_secondary_indexes"]:
        properties["LocalSecondaryIndexes"] = [_index(i) for i in schema["local_secondary_indexes"]]
    ttl = model._ttl_attribute()
    if ttl is not None:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl.attr_name, "Enabled": True}
    return {"Type": "AWS::DynamoDB::Table", **_policies(retain), "Properties": properties}


def _keys(key_schema: list[dict[str, str]]) -> list[dict[str, str]]:
    ordered = sorted(key_schema, key=lambda k: k["KeyType"] != "HASH")  # DynamoDB wants HASH first
    return [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in ordered]


def _index(index: dict[str, Any]) -> dict[str, Any]:
    projection = {"ProjectionType": index["projection"]["ProjectionType"]}
    if "NonKeyAttributes" in index["projection"]:
        projection["NonKeyAttributes"] = index["projection"]["NonKeyAttributes"]
    return {"IndexName": index["index_name"], "KeySchema": _keys(index["key_schema"]), "Projection": projection}


def _policies(retain: bool) -> dict[str, str]:
    policy = "Retain" if retain else "Delete"
    return {"DeletionPolicy": policy, "UpdateReplacePolicy": policy}


def queue_resources(stage: Stage) -> dict[str, Any]:
    settings = stage.settings
    return {
        "TaskDeadLetterQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": settings.dlq_name, "MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True}},
        "TaskQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": settings.queue_name,
            # AWS's rule for Lambda event sources; Settings derives the same from LEVANTE_WORKER_TIMEOUT.
            "VisibilityTimeout": 6 * stage.worker_timeout,
            "MessageRetentionPeriod": 1209600,
            "SqsManagedSseEnabled": True,
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["TaskDeadLetterQueue", "Arn"]},
                              "maxReceiveCount": settings.max_receive_count}}},
    }


def data_bucket(stage: Stage) -> dict[str, Any]:
    bucket = {"Type": "AWS::S3::Bucket", **_policies(stage.name in RETAINED_STAGES), "Properties": {
        "BucketName": {"Fn::Sub": names.data_bucket(stage.settings)},
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]},
        "PublicAccessBlockConfiguration": _all_public_access_blocked(),
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "LifecycleConfiguration": {"Rules": [
            {"Id": "abort-incomplete-uploads", "Status": "Enabled",
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]},
    }}
    return {"DataBucket": bucket, "DataBucketPolicy": _tls_only("DataBucket")}


def dashboard_resources(stage: Stage) -> dict[str, Any]:
    """A private bucket read only by CloudFront through Origin Access Control; no public S3 website."""
    base = stage.settings.base
    source_arn = {"Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${DashboardDistribution}"}
    return {
        "DashboardBucket": {"Type": "AWS::S3::Bucket", "Properties": {
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            "PublicAccessBlockConfiguration": _all_public_access_blocked(),
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}},
        "DashboardOriginAccessControl": {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {
            "OriginAccessControlConfig": {"Name": f"{base}-dashboard", "OriginAccessControlOriginType": "s3",
                                          "SigningBehavior": "always", "SigningProtocol": "sigv4"}}},
        "DashboardDistribution": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
            "Comment": f"{base} dashboard", "Enabled": True, "DefaultRootObject": "index.html",
            "HttpVersion": "http2and3", "PriceClass": "PriceClass_100",
            "Origins": [{"Id": "dashboard", "DomainName": {"Fn::GetAtt": ["DashboardBucket", "RegionalDomainName"]},
                         "S3OriginConfig": {"OriginAccessIdentity": ""},
                         "OriginAccessControlId": {"Fn::GetAtt": ["DashboardOriginAccessControl", "Id"]}}],
            "DefaultCacheBehavior": {"TargetOriginId": "dashboard", "ViewerProtocolPolicy": "redirect-to-https",
                                     "CachePolicyId": CACHING_OPTIMIZED, "Compress": True,
                                     "AllowedMethods": ["GET", "HEAD"], "CachedMethods": ["GET", "HEAD"]}}}},
        "DashboardBucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": "DashboardBucket"},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Sid": "CloudFrontReads", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
                 "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${DashboardBucket.Arn}/*"},
                 "Condition": {"StringEquals": {"AWS:SourceArn": source_arn}}},
                _deny_insecure_transport("DashboardBucket")]}}},
    }


def _all_public_access_blocked() -> dict[str, bool]:
    return {"BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}


def _tls_only(bucket: str) -> dict[str, Any]:
    return {"Type": "AWS::S3::BucketPolicy", "Properties": {
        "Bucket": {"Ref": bucket},
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [_deny_insecure_transport(bucket)]}}}


def _deny_insecure_transport(bucket: str) -> dict[str, Any]:
    return {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [{"Fn::GetAtt": [bucket, "Arn"]}, {"Fn::Sub": f"${{{bucket}.Arn}}/*"}],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def function_overrides(stage: Stage, data_resources: list[str]) -> dict[str, Any]:
    """Fixed names (the policies' log-group ARNs name them), log retention, and the settings Chalice cannot set."""
    resources: dict[str, Any] = {}
    for function, (resource, role, _) in FUNCTIONS.items():
        name = stage.function_name(function)
        log_group = f"{resource}LogGroup"
        resources[log_group] = {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": f"/aws/lambda/{name}", "RetentionInDays": LOG_RETENTION_DAYS.get(stage.name, 14)}}
        depends = [log_group, *data_resources] if function in DATA_FUNCTIONS else [log_group]
        resources[resource] = {"DependsOn": depends, "Properties": {
            "FunctionName": name, "Runtime": LAMBDA_RUNTIME, "Architectures": [LAMBDA_ARCHITECTURE],
            "Environment": {"Variables": {
                "LEVANTE_BUCKET": {"Fn::Sub": names.data_bucket(stage.settings)},
                # Airflow's dags_are_paused_at_creation: on AWS a new DAG waits for someone to unpause it.
                "LEVANTE_DAGS_PAUSED_AT_CREATION": stage.environment.get("LEVANTE_DAGS_PAUSED_AT_CREATION", "true"),
                # A task runs within one worker invocation: a longer execution_timeout fails at DAG load.
                "LEVANTE_MAX_TASK_SECONDS": str(stage.worker_timeout - RECORDING_MARGIN_SECONDS),
            }}}}
        resources[role] = {"Properties": {"Policies": [
            {"PolicyName": f"{role}Policy", "PolicyDocument": policies.substituted(stage.policy(function))}]}}
    # Batch size 1 keeps one task per invocation, so ReportBatchItemFailures is not needed (see DESIGN.md);
    # a maximum concurrency no higher than the reserved concurrency stops the poller from fetching messages
    # the function would only throttle on, which would burn their receive count and send them to the DLQ.
    reserved = stage.lookup("reserved_concurrency", "worker")
    if reserved:
        resources["Worker"]["Properties"]["Events"] = {WORKER_EVENT: {"Properties": {
            "ScalingConfig": {"MaximumConcurrency": max(2, int(reserved))}}}}
    resources["APIHandler"]["Properties"]["Environment"]["Variables"]["LEVANTE_UI_ORIGIN"] = {
        "Fn::Sub": "https://${DashboardDistribution.DomainName}"}
    for function in TOKEN_READERS:  # SSM SecureString parameters (`levante deploy` creates the admin one)
        resource = FUNCTIONS[function][0]
        resources[resource]["Properties"]["Environment"]["Variables"]["LEVANTE_TOKENS_PARAMETER_PATH"] = \
            names.tokens_path(stage.settings)
    return resources


def outputs(stage: Stage) -> dict[str, Any]:
    retained = "true" if stage.name in RETAINED_STAGES else "false"
    return {
        "DashboardURL": {"Value": {"Fn::Sub": "https://${DashboardDistribution.DomainName}/"}},
        "DashboardBucketName": {"Value": {"Ref": "DashboardBucket"}},
        "DashboardDistributionId": {"Value": {"Ref": "DashboardDistribution"}},
        "DataBucketName": {"Value": {"Ref": "DataBucket"}},
        "DataRetainedOnDelete": {"Value": retained},
        "TaskQueueUrl": {"Value": {"Ref": "TaskQueue"}},
        "DeadLetterQueueUrl": {"Value": {"Ref": "TaskDeadLetterQueue"}},
        "AlarmTopicArn": {"Value": {"Ref": "AlarmTopic"}},
    }


def build_template(stage_name: str) -> dict[str, Any]:
    try:
        stage = Stage.load(stage_name)
    except UnknownStage as error:
        raise SystemExit(str(error)) from None
    settings = stage.settings
    tables = {logical_id(model.Meta.table_name, settings): table_resource(model, stage_name in RETAINED_STAGES)
              for model in build_models(settings).all()}
    data = {**tables, **queue_resources(stage), **data_bucket(stage)}
    resources = {**data, **dashboard_resources(stage)}
    data_ids = sorted(name for name, r in data.items() if r["Type"] in ("AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket"))
    resources.update(function_overrides(stage, data_ids))
    processor_triggers.apply(resources, settings)  # S3 event of a new bundle, and a safety timer
    resources.update(alarms.resources(settings, {f: stage.function_name(f) for f in FUNCTIONS}))
    resources.update(api_gateway.resources(settings, stage.environment, LOG_RETENTION_DAYS.get(stage_name, 14)))
    return {"AWSTemplateFormatVersion": "2010-09-09", "Parameters": alarms.parameters(),
            "Conditions": alarms.conditions(), "Resources": resources,
            "Outputs": outputs(stage)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--out", help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    text = json.dumps(build_template(args.stage), indent=2) + "\n"
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
