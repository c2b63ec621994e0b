"""`levante init`: create or verify the tables, the task queue with its dead-letter queue, and the bucket.

The one place that creates AWS resources outside `levante deploy` (which owns them on AWS): the local stack
and tests provision moto through it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from chalicelib.store.models import Models
from chalicelib.store.settings import Settings


@dataclass
class InitReport:
    created: list[str] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"created  {name}" for name in self.created] + [f"ok       {name}" for name in self.verified]


def provision(models: Models, settings: Settings) -> InitReport:
    report = InitReport()
    for model in models.all():
        name = model.Meta.table_name
        if model.exists():
            report.verified.append(f"table {name}")
        else:
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
            report.created.append(f"table {name}")
    _queues(settings, report)
    _bucket(settings, report)
    return report


def _queues(settings: Settings, report: InitReport) -> None:
    import boto3

    sqs = boto3.client("sqs", region_name=settings.region)
    existing = set(sqs.list_queues(QueueNamePrefix=settings.base).get("QueueUrls", []))
    dlq_url = sqs.create_queue(QueueName=settings.dlq_name, Attributes={"MessageRetentionPeriod": "1209600"})["QueueUrl"]
    _note(report, f"queue {settings.dlq_name}", dlq_url in existing)
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = {
        "VisibilityTimeout": str(settings.visibility_timeout),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(settings.max_receive_count)}),
    }
    name = settings.queue_name
    try:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except sqs.exceptions.QueueNameExists:  # created earlier with other attributes: bring them in line
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    _note(report, f"queue {name}", url in existing)


def _bucket(settings: Settings, report: InitReport) -> None:
    import boto3

    s3 = boto3.client("s3", region_name=settings.region)
    try:
        s3.head_bucket(Bucket=settings.bucket)
        report.verified.append(f"bucket {settings.bucket}")
        return
    except s3.exceptions.ClientError:
        pass
    options = {} if settings.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": settings.region}}
    s3.create_bucket(Bucket=settings.bucket, **options)
    s3.put_public_access_block(Bucket=settings.bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    report.created.append(f"bucket {settings.bucket}")


def _note(report: InitReport, name: str, existed: bool) -> None:
    (report.verified if existed else report.created).append(name)
