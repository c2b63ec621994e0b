"""The AWS side of `levante deploy|destroy|tokens`: one session, buckets, objects, tokens. boto3 only (no AWS CLI);
every client honours `AWS_ENDPOINT_URL` and its per-service variants, as boto3 does."""

from __future__ import annotations

import mimetypes
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError

TOKEN_BYTES = 32  # 43 URL-safe characters; the API refuses tokens under 16
ROLES = ("admin", "operator", "viewer")


class AwsSetupError(Exception):
    pass


@dataclass(frozen=True)
class Aws:
    session: Any
    account: str
    region: str

    @classmethod
    def connect(cls) -> Aws:
        import boto3

        session = boto3.session.Session()
        if not session.region_name:
            raise AwsSetupError("no AWS region: set AWS_DEFAULT_REGION (or a region in your AWS profile)")
        try:
            account = session.client("sts").get_caller_identity()["Account"]
        except NoCredentialsError:
            raise AwsSetupError("no AWS credentials: configure a profile or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY") from None
        except (ClientError, NoRegionError) as error:
            raise AwsSetupError(f"AWS refused the credentials: {error}") from None
        return cls(session, account, session.region_name)

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=self.region)


def ensure_bucket(s3: Any, name: str, region: str) -> bool:
    """A private, encrypted bucket; True if it was created now."""
    try:
        s3.head_bucket(Bucket=name)
        return False
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise AwsSetupError(f"bucket {name} exists but is not readable with these credentials: {error}") from None
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **location)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    return True


def empty_bucket(s3: Any, name: str) -> int:
    deleted = 0
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            objects = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                       for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if objects:
                s3.delete_objects(Bucket=name, Delete={"Objects": objects, "Quiet": True})
                deleted += len(objects)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchBucket":
            raise
    return deleted


def upload_folder(s3: Any, folder: Path, bucket: str, *, keep: frozenset[str] = frozenset()) -> int:
    """Mirrors `folder` into the bucket (stale keys deleted, except `keep`); HTML is never cached."""
    keys = set()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = path.relative_to(folder).as_posix()
        keys.add(key)
        cache = "no-cache" if key.endswith(".html") else "public, max-age=31536000, immutable"
        s3.upload_file(str(path), bucket, key, ExtraArgs={
            "ContentType": mimetypes.guess_type(key)[0] or "application/octet-stream", "CacheControl": cache})
    stale = [{"Key": o["Key"]} for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
             for o in page.get("Contents", []) if o["Key"] not in keys | keep]
    if stale:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": stale, "Quiet": True})
    return len(keys)


def token_parameter(path: str, role: str) -> str:
    return f"{path}/{role}"


def ensure_token(ssm: Any, path: str, role: str, value: str | None = None) -> bool:
    """Creates the role's token (given, else random) unless one exists; True if created now."""
    try:
        ssm.get_parameter(Name=token_parameter(path, role))
        return False
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ParameterNotFound":
            raise
    put_token(ssm, path, role, value or new_token(), overwrite=False)
    return True


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def put_token(ssm: Any, path: str, role: str, value: str, *, overwrite: bool = True) -> None:
    ssm.put_parameter(Name=token_parameter(path, role), Value=value, Type="SecureString", Overwrite=overwrite,
                      Description=f"Levante API token of the {role} role")


def get_token(ssm: Any, path: str, role: str) -> str | None:
    try:
        return ssm.get_parameter(Name=token_parameter(path, role), WithDecryption=True)["Parameter"]["Value"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return None
        raise


def delete_tokens(ssm: Any, path: str) -> None:
    names = [token_parameter(path, role) for role in ROLES]
    ssm.delete_parameters(Names=names)  # missing names are reported, not raised


def stage_data_bucket(settings: Any) -> str:
    """The stage's data bucket: the local stack's name if that bucket exists, else the deployed one's (its
    name carries the account and region)."""
    import boto3

    if settings.bucket_override:
        return settings.bucket_override
    s3 = boto3.client("s3", region_name=settings.region)
    try:
        s3.head_bucket(Bucket=settings.bucket)
        return settings.bucket
    except Exception:  # noqa: BLE001 - not the local stack
        from chalicelib.deploy.names import data_bucket

        account = boto3.client("sts", region_name=settings.region).get_caller_identity()["Account"]
        return data_bucket(settings, account, settings.region)
