"""S3Hook's common methods, the S3 operators and S3KeySensor (wildcards included), as the Amazon provider."""

from __future__ import annotations

import fnmatch
import gzip as gzip_codec
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from chalicelib.providers.amazon.base import AwsBaseHook
from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.exceptions import AirflowException
from chalicelib.sdk.sensors.base import BaseSensorOperator


class S3Hook(AwsBaseHook):
    client_type = "s3"

    def __init__(self, aws_conn_id: str | None = "aws_default", *args: Any, **kwargs: Any):
        super().__init__(aws_conn_id, *args, **kwargs)

    @staticmethod
    def parse_s3_url(s3url: str) -> tuple[str, str]:
        parts = urlsplit(s3url)
        if parts.scheme not in ("s3", "s3a", "s3n") or not parts.netloc:
            raise AirflowException(f'Please provide a bucket name using a valid format: "{s3url}"')
        return parts.netloc, parts.path.lstrip("/")

    @staticmethod
    def get_s3_bucket_key(bucket: str | None, key: str, bucket_param_name: str, key_param_name: str) -> tuple[str, str]:
        if bucket is None:
            return S3Hook.parse_s3_url(key)
        if urlsplit(key).scheme:
            raise TypeError(f"If `{key_param_name}` is provided as a full s3:// url, then `{bucket_param_name}` "
                            "should not be passed.")
        return bucket, key

    def _bucket_key(self, key: str, bucket_name: str | None) -> tuple[str, str]:
        return self.get_s3_bucket_key(bucket_name, key, "bucket_name", "key")

    def check_for_bucket(self, bucket_name: str) -> bool:
        try:
            self.conn.head_bucket(Bucket=bucket_name)
        except self.conn.exceptions.ClientError:
            return False
        return True

    def create_bucket(self, bucket_name: str, region_name: str | None = None) -> None:
        region = region_name or self.region_name
        if region in (None, "us-east-1"):
            self.conn.create_bucket(Bucket=bucket_name)
        else:
            self.conn.create_bucket(Bucket=bucket_name, CreateBucketConfiguration={"LocationConstraint": region})

    def delete_bucket(self, bucket_name: str, force_delete: bool = False) -> None:
        if force_delete:
            keys = self.list_keys(bucket_name)
            if keys:
                self.delete_objects(bucket_name, keys)
        self.conn.delete_bucket(Bucket=bucket_name)

    def _objects(self, bucket_name: str, prefix: str = "", delimiter: str = "") -> tuple[list[dict], list[str]]:
        objects, prefixes = [], []
        kwargs: dict[str, Any] = {"Bucket": bucket_name, "Prefix": prefix or ""}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        for page in self.conn.get_paginator("list_objects_v2").paginate(**kwargs):
            objects += page.get("Contents", [])
            prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        return objects, prefixes

    def list_keys(self, bucket_name: str | None = None, prefix: str | None = "", delimiter: str | None = "",
                  start_after_key: str | None = "", **kwargs: Any) -> list[str]:
        objects, _ = self._objects(bucket_name or "", prefix or "", delimiter or "")
        return [o["Key"] for o in objects if not start_after_key or o["Key"] > start_after_key]

    def list_prefixes(self, bucket_name: str | None = None, prefix: str | None = "", delimiter: str | None = "",
                      **kwargs: Any) -> list[str]:
        return self._objects(bucket_name or "", prefix or "", delimiter or "")[1]

    def get_file_metadata(self, prefix: str, bucket_name: str | None = None, **kwargs: Any) -> list[dict]:
        return self._objects(bucket_name or "", prefix)[0]

    def head_object(self, key: str, bucket_name: str | None = None) -> dict | None:
        bucket, key = self._bucket_key(key, bucket_name)
        try:
            return self.conn.head_object(Bucket=bucket, Key=key)
        except self.conn.exceptions.ClientError as exc:
            if exc.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                return None
            raise

    def check_for_key(self, key: str, bucket_name: str | None = None) -> bool:
        return self.head_object(key, bucket_name) is not None

    def get_key(self, key: str, bucket_name: str | None = None) -> Any:
        import boto3

        bucket, key = self._bucket_key(key, bucket_name)
        obj = boto3.resource("s3", **self._resource_kwargs()).Object(bucket, key)
        obj.load()
        return obj

    def _resource_kwargs(self) -> dict[str, Any]:
        session, client = self._session_kwargs()
        return {**session, **client}

    def read_key(self, key: str, bucket_name: str | None = None) -> str:
        bucket, key = self._bucket_key(key, bucket_name)
        return self.conn.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")

    def check_for_wildcard_key(self, wildcard_key: str, bucket_name: str | None = None, delimiter: str = "") -> bool:
        return self.get_wildcard_key(wildcard_key, bucket_name, delimiter) is not None

    def get_wildcard_key(self, wildcard_key: str, bucket_name: str | None = None, delimiter: str = "") -> Any:
        bucket, key = self._bucket_key(wildcard_key, bucket_name)
        prefix = re.split(r"[\[*?]", key, maxsplit=1)[0]
        for found in self.list_keys(bucket, prefix=prefix, delimiter=delimiter):
            if fnmatch.fnmatch(found, key):
                return self.get_key(found, bucket)
        return None

    def load_string(self, string_data: str, key: str, bucket_name: str | None = None, replace: bool = False,
                    encrypt: bool = False, encoding: str | None = None, acl_policy: str | None = None,
                    compression: str | None = None) -> None:
        data = string_data.encode(encoding or "utf-8")
        if compression == "gzip":
            data = gzip_codec.compress(data)
        elif compression:
            raise NotImplementedError(f"Received {compression} compression type. String can currently be "
                                      "compressed in gzip only.")
        self.load_bytes(data, key, bucket_name, replace, encrypt, acl_policy)

    def load_bytes(self, bytes_data: bytes, key: str, bucket_name: str | None = None, replace: bool = False,
                   encrypt: bool = False, acl_policy: str | None = None) -> None:
        bucket, key = self._bucket_key(key, bucket_name)
        if not replace and self.check_for_key(key, bucket):
            raise ValueError(f"The key {key} already exists.")
        extra: dict[str, Any] = {}
        if encrypt:
            extra["ServerSideEncryption"] = "AES256"
        if acl_policy:
            extra["ACL"] = acl_policy
        self.conn.put_object(Bucket=bucket, Key=key, Body=bytes_data, **extra)

    def load_file(self, filename: str, key: str, bucket_name: str | None = None, replace: bool = False,
                  encrypt: bool = False, gzip: bool = False, acl_policy: str | None = None) -> None:
        with open(filename, "rb") as handle:
            data = handle.read()
        self.load_bytes(gzip_codec.compress(data) if gzip else data, key, bucket_name, replace, encrypt,
                        acl_policy)

    def download_file(self, key: str, bucket_name: str | None = None, local_path: str | None = None, **kwargs: Any) -> str:
        import os
        import tempfile

        bucket, key = self._bucket_key(key, bucket_name)
        directory = local_path or tempfile.gettempdir()
        path = os.path.join(directory, os.path.basename(key) or "s3-object")
        self.conn.download_file(bucket, key, path)
        return path

    def copy_object(self, source_bucket_key: str, dest_bucket_key: str, source_bucket_name: str | None = None,
                    dest_bucket_name: str | None = None, source_version_id: str | None = None,
                    acl_policy: str | None = None, **kwargs: Any) -> dict:
        dest_bucket, dest_key = self.get_s3_bucket_key(dest_bucket_name, dest_bucket_key, "dest_bucket_name",
                                                       "dest_bucket_key")
        source_bucket, source_key = self.get_s3_bucket_key(source_bucket_name, source_bucket_key,
                                                           "source_bucket_name", "source_bucket_key")
        source: dict[str, Any] = {"Bucket": source_bucket, "Key": source_key}
        if source_version_id:
            source["VersionId"] = source_version_id
        extra = {"ACL": acl_policy} if acl_policy else {}
        return self.conn.copy_object(Bucket=dest_bucket, Key=dest_key, CopySource=source, **extra)

    def delete_objects(self, bucket: str, keys: str | list[str]) -> None:
        keys = [keys] if isinstance(keys, str) else list(keys)
        for start in range(0, len(keys), 1000):  # the API's limit per request
            chunk = keys[start:start + 1000]
            reply = self.conn.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk]})
            if reply.get("Errors"):
                raise AirflowException(f"Errors when deleting: {[e['Key'] for e in reply['Errors']]}")


class S3CreateObjectOperator(BaseOperator):
    template_fields = ("s3_bucket", "s3_key", "data")

    def __init__(self, *, s3_bucket: str | None = None, s3_key: str, data: str | bytes, replace: bool = False,
                 encrypt: bool = False, acl_policy: str | None = None, encoding: str | None = None,
                 compression: str | None = None, aws_conn_id: str | None = "aws_default", verify: Any = None,
                 region_name: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.s3_bucket, self.s3_key, self.data = s3_bucket, s3_key, data
        self.replace, self.encrypt, self.acl_policy = replace, encrypt, acl_policy
        self.encoding, self.compression = encoding, compression
        self.hook = S3Hook(aws_conn_id=aws_conn_id, verify=verify, region_name=region_name)

    def execute(self, context: dict[str, Any]) -> None:
        bucket, key = S3Hook.get_s3_bucket_key(self.s3_bucket, self.s3_key, "dest_bucket", "dest_key")
        if isinstance(self.data, str):
            self.hook.load_string(self.data, key, bucket, self.replace, self.encrypt, self.encoding, self.acl_policy,
                                  self.compression)
        else:
            self.hook.load_bytes(self.data, key, bucket, self.replace, self.encrypt, self.acl_policy)


class S3CopyObjectOperator(BaseOperator):
    template_fields = ("source_bucket_key", "dest_bucket_key", "source_bucket_name", "dest_bucket_name")

    def __init__(self, *, source_bucket_key: str, dest_bucket_key: str, source_bucket_name: str | None = None,
                 dest_bucket_name: str | None = None, source_version_id: str | None = None,
                 aws_conn_id: str | None = "aws_default", verify: Any = None, acl_policy: str | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.source_bucket_key, self.dest_bucket_key = source_bucket_key, dest_bucket_key
        self.source_bucket_name, self.dest_bucket_name = source_bucket_name, dest_bucket_name
        self.source_version_id, self.acl_policy = source_version_id, acl_policy
        self.hook = S3Hook(aws_conn_id=aws_conn_id, verify=verify)

    def execute(self, context: dict[str, Any]) -> None:
        self.hook.copy_object(self.source_bucket_key, self.dest_bucket_key, self.source_bucket_name,
                              self.dest_bucket_name, self.source_version_id, self.acl_policy)


class S3DeleteObjectsOperator(BaseOperator):
    template_fields = ("keys", "bucket", "prefix")

    def __init__(self, *, bucket: str, keys: str | list | None = None, prefix: str | None = None,
                 aws_conn_id: str | None = "aws_default", verify: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        if (keys is None) == (prefix is None):
            raise AirflowException("Either keys or prefix should be set.")
        self.bucket, self.keys, self.prefix = bucket, keys, prefix
        self.hook = S3Hook(aws_conn_id=aws_conn_id, verify=verify)

    def execute(self, context: dict[str, Any]) -> None:
        keys = self.keys if self.keys is not None else self.hook.list_keys(bucket_name=self.bucket, prefix=self.prefix)
        if keys:
            self.hook.delete_objects(bucket=self.bucket, keys=keys)


class S3ListOperator(BaseOperator):
    template_fields = ("bucket", "prefix", "delimiter")
    ui_color = "#ffd700"

    def __init__(self, *, bucket: str, prefix: str = "", delimiter: str = "", aws_conn_id: str | None = "aws_default",
                 verify: Any = None, apply_wildcard: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.bucket, self.prefix, self.delimiter, self.apply_wildcard = bucket, prefix, delimiter, apply_wildcard
        self.hook = S3Hook(aws_conn_id=aws_conn_id, verify=verify)

    def execute(self, context: dict[str, Any]) -> list[str]:
        self.log.info("Getting the list of files from bucket: %s in prefix: %s (Delimiter %s)", self.bucket,
                      self.prefix, self.delimiter)
        keys = self.hook.list_keys(bucket_name=self.bucket, prefix=self.prefix, delimiter=self.delimiter)
        return [k for k in keys if fnmatch.fnmatch(k, self.prefix)] if self.apply_wildcard else keys


class S3CreateBucketOperator(BaseOperator):
    template_fields = ("bucket_name",)

    def __init__(self, *, bucket_name: str, aws_conn_id: str | None = "aws_default", region_name: str | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.bucket_name = bucket_name
        self.hook = S3Hook(aws_conn_id=aws_conn_id, region_name=region_name)

    def execute(self, context: dict[str, Any]) -> None:
        if self.hook.check_for_bucket(self.bucket_name):
            self.log.info("Bucket with name: %s already exists", self.bucket_name)
            return
        self.hook.create_bucket(bucket_name=self.bucket_name)
        self.log.info("Created bucket with name: %s", self.bucket_name)


class S3DeleteBucketOperator(BaseOperator):
    template_fields = ("bucket_name",)

    def __init__(self, *, bucket_name: str, force_delete: bool = False, aws_conn_id: str | None = "aws_default",
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.bucket_name, self.force_delete = bucket_name, force_delete
        self.hook = S3Hook(aws_conn_id=aws_conn_id)

    def execute(self, context: dict[str, Any]) -> None:
        if self.hook.check_for_bucket(self.bucket_name):
            self.hook.delete_bucket(bucket_name=self.bucket_name, force_delete=self.force_delete)
        else:
            self.log.info("Bucket with name: %s doesn't exist", self.bucket_name)


class S3KeySensor(BaseSensorOperator):
    """Wait for one key (or every key of a list) in a bucket; with `wildcard_match`, Unix-shell patterns."""

    template_fields = ("bucket_key", "bucket_name")

    def __init__(self, *, bucket_key: str | list[str], bucket_name: str | None = None, wildcard_match: bool = False,
                 check_fn: Callable[..., bool] | None = None, aws_conn_id: str | None = "aws_default",
                 verify: Any = None, use_regex: bool = False, metadata_keys: list[str] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.bucket_name, self.bucket_key = bucket_name, bucket_key
        self.wildcard_match, self.use_regex = wildcard_match, use_regex
        self.check_fn = check_fn
        self.metadata_keys = metadata_keys or ["Size"]
        self.hook = S3Hook(aws_conn_id=aws_conn_id, verify=verify)

    def _check_key(self, key: str, found: list[dict[str, Any]]) -> bool:
        bucket, key = S3Hook.get_s3_bucket_key(self.bucket_name, key, "bucket_name", "bucket_key")
        self.log.info("Poking for key : s3://%s/%s", bucket, key)
        if self.wildcard_match or self.use_regex:
            prefix = "" if self.use_regex else re.split(r"[\[*?]", key, maxsplit=1)[0]
            objects = self.hook.get_file_metadata(prefix, bucket)
            matches = [o for o in objects if (re.match(key, o["Key"]) if self.use_regex else fnmatch.fnmatch(o["Key"], key))]
            if not matches:
                return False
            found += [{"Size": o.get("Size"), "Key": o["Key"], "LastModified": o.get("LastModified")} for o in matches]
            return True
        head = self.hook.head_object(key, bucket)
        if head is None:
            return False
        found.append({"Size": head.get("ContentLength"), "Key": key, "LastModified": head.get("LastModified")})
        return True

    def poke(self, context: dict[str, Any]) -> bool:
        keys = [self.bucket_key] if isinstance(self.bucket_key, str) else list(self.bucket_key)
        found: list[dict[str, Any]] = []
        if not all([self._check_key(key, found) for key in keys]):
            return False
        return self.check_fn(found) if self.check_fn is not None else True
