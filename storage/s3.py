"""Files in an S3 bucket (or any S3-compatible service) through boto3.

Credentials come from boto3's standard chain (AWS_* variables, profiles, instance roles),
never from Switchboard's settings. Downloads and direct uploads use presigned requests.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from functools import cached_property, wraps
from typing import BinaryIO
from urllib.parse import urlsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as S3ConnectionError

from storage import (
    ListedObject,
    ObjectMissing,
    PresignedPost,
    Storage,
    StorageUnavailable,
    StoredObject,
    check_key,
    content_disposition,
)

log = logging.getLogger(__name__)
MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
DENIED_CODES = {"403", "AccessDenied"}
# In the calling greenlet: s3transfer's worker threads would read the request stream from elsewhere.
TRANSFER = TransferConfig(use_threads=False)
# An unreachable endpoint is told quickly (one retry), a slow answer is waited for.
CLIENT_CONFIG = Config(connect_timeout=3, read_timeout=30, retries={"mode": "standard", "max_attempts": 2})


def _reachable(method):
    """S3 unreachable (refused, reset, timed out, or answering 5xx) becomes StorageUnavailable, which
    transports answer 503 `storage_unavailable` (blueprints.faults); anything else is left alone."""
    @wraps(method)
    def call(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except (S3ConnectionError, HTTPClientError) as error:
            raise StorageUnavailable(f"S3 unreachable: {type(error).__name__}") from error
        except ClientError as error:
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if status >= 500:
                raise StorageUnavailable(f"S3 answered {status}") from error
            raise
    return call


class S3Storage(Storage):
    name = "s3"

    def __init__(self, bucket: str, region: str | None = None, endpoint_url: str | None = None) -> None:
        self.bucket = bucket
        self.region = region
        self.endpoint_url = endpoint_url
        self.client = self._client("s3v4")

    def _client(self, signature_version):
        # S3-compatible services behind a custom endpoint rarely serve virtual-hosted bucket names.
        addressing = "path" if self.endpoint_url else "auto"
        return boto3.client("s3", region_name=self.region, endpoint_url=self.endpoint_url,
                            config=CLIENT_CONFIG.merge(Config(signature_version=signature_version,
                                                              s3={"addressing_style": addressing})))

    @_reachable
    def save(self, key: str, stream: BinaryIO, content_type: str) -> None:
        self.client.upload_fileobj(stream, self.bucket, check_key(key), ExtraArgs={"ContentType": content_type},
                                   Config=TRANSFER)

    @_reachable
    def open(self, key: str) -> BinaryIO:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"]
        except ClientError as error:
            if _is_missing(error):
                raise ObjectMissing(key) from None
            raise

    @_reachable
    def head(self, key: str) -> StoredObject | None:
        try:
            response = self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as error:
            if _is_missing(error):
                return None
            raise
        return StoredObject(size=int(response["ContentLength"]), content_type=response.get("ContentType"))

    @_reachable
    def move(self, source_key: str, target_key: str) -> None:
        try:
            self.client.copy_object(Bucket=self.bucket, Key=check_key(target_key),
                                    CopySource={"Bucket": self.bucket, "Key": check_key(source_key)})
        except ClientError as error:
            if _is_missing(error):
                raise ObjectMissing(source_key) from None
            raise
        self.delete(source_key)

    @_reachable
    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def listing(self, prefix: str) -> Iterator[ListedObject]:
        token = None
        while True:
            page = self._page_of_objects(prefix, token)
            for item in page.get("Contents", ()):
                yield ListedObject(item["Key"], item["LastModified"])
            if not page.get("IsTruncated"):
                return
            token = page["NextContinuationToken"]

    @_reachable
    def _page_of_objects(self, prefix: str, token: str | None) -> dict:
        return self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix,
                                           **({"ContinuationToken": token} if token else {}))

    @_reachable
    def clear_leftovers(self, prefix: str, before: datetime) -> int:
        """Multipart uploads begun before `before` and never completed (upload_fileobj uses them past 8 MB):
        S3 keeps and bills their parts until they are aborted."""
        cleared = 0
        uploads = self.client.get_paginator("list_multipart_uploads")
        try:
            for page in uploads.paginate(Bucket=self.bucket, Prefix=prefix):
                for upload in page.get("Uploads", ()):
                    if upload["Initiated"] < before:
                        self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"],
                                                           UploadId=upload["UploadId"])
                        cleared += 1
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code")) not in DENIED_CODES:
                raise
            # A key without s3:ListBucketMultipartUploads / s3:AbortMultipartUpload (docs/deployment.md): the
            # bucket's lifecycle rule (AbortIncompleteMultipartUpload) is then what clears them.
            log.warning("not allowed to list or abort unfinished uploads in %s: %s", self.bucket, error)
        return cleared

    def download_url(self, key: str, *, filename: str, content_type: str, inline: bool, expires_in: int) -> str:
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": check_key(key),
                    "ResponseContentDisposition": content_disposition(filename, inline=inline),
                    "ResponseContentType": content_type},
            ExpiresIn=expires_in,
        )

    def presigned_post(self, key: str, *, content_type: str, size: int, expires_in: int) -> PresignedPost:
        # The policy pins the key (boto3 adds it), the exact size and the type.
        post = self.client.generate_presigned_post(
            self.bucket, check_key(key), Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", size, size]],
            ExpiresIn=expires_in,
        )
        return PresignedPost(url=post["url"], fields=dict(post["fields"]))


    def browser_origins(self) -> tuple[str, ...]:
        return (self._bucket_origin,)

    @cached_property
    def _bucket_origin(self) -> str:
        """Where presigned URLs point: the origin of an unsigned URL built by the same endpoint
        rules (virtual-hosted or path style), so no credentials and no request are needed."""
        url = self._client(UNSIGNED).generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "origin/0/probe"})
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"


def _is_missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in MISSING_CODES
