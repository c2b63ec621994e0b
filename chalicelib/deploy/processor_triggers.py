"""What fires the DAG processor Lambda on AWS: the S3 event of a new bundle pointer, and a slow safety timer.

`levante dags deploy` (and `levante deploy`) writes `bundles/current.json` last; S3 notifies the processor of
that one key only, so the zips and manifests uploaded before it fire nothing. S3 events are delivered at
least once but can be late or, rarely, lost: the timer runs the processor every SAFETY_TIMER_MINUTES, and
the processor skips a version it processed already, so a timer run costs a read or two.

CloudFormation cannot point an existing bucket's notifications at a function (Chalice's `on_s3_event`
refuses to package for that reason), but the data bucket is created by this same template: its
NotificationConfiguration names the function, which S3 checks it may invoke when the bucket is created.
Hence the order function -> permission -> bucket, and the processor does not wait for the data bucket as the
other functions do (its environment and policy name the bucket by its name, not by a reference).
"""

from __future__ import annotations

from typing import Any

from chalicelib.deploy import names
from chalicelib.store.bundles import CURRENT_KEY
from chalicelib.store.settings import Settings

FUNCTION = "DagProcessor"  # Chalice's logical id of the `dag_processor` function
BUCKET = "DataBucket"
PERMISSION = "DagProcessorBundleEventPermission"
TIMER_EVENT = "DagProcessorSafetyTimer"
SAFETY_TIMER_MINUTES = 10


def apply(resources: dict[str, Any], settings: Settings) -> None:
    """Adds the S3 notification, its invoke permission and the timer to a template's `resources` in place."""
    bucket_arn = {"Fn::Sub": "arn:${AWS::Partition}:s3:::" + names.data_bucket(settings)}
    resources[PERMISSION] = {"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction", "FunctionName": {"Fn::GetAtt": [FUNCTION, "Arn"]},
        "Principal": "s3.amazonaws.com", "SourceArn": bucket_arn, "SourceAccount": {"Ref": "AWS::AccountId"}}}
    bucket = resources[BUCKET]
    bucket["DependsOn"] = sorted({*_as_list(bucket.get("DependsOn")), PERMISSION})
    bucket["Properties"]["NotificationConfiguration"] = {"LambdaConfigurations": [{
        "Event": "s3:ObjectCreated:*", "Function": {"Fn::GetAtt": [FUNCTION, "Arn"]},
        "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": CURRENT_KEY},
                                       {"Name": "suffix", "Value": CURRENT_KEY.rsplit("/", 1)[1]}]}}}]}
    function = resources[FUNCTION]
    function["DependsOn"] = [d for d in _as_list(function.get("DependsOn")) if d != BUCKET]
    # No input: the processor then skips a version it already processed ({"force": true} would re-parse).
    function.setdefault("Properties", {}).setdefault("Events", {})[TIMER_EVENT] = {
        "Type": "Schedule", "Properties": {"Schedule": f"rate({SAFETY_TIMER_MINUTES} minutes)"}}


def _as_list(value: str | list[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)
