"""The layout of published snapshots in S3-compatible object storage, shared by the publisher
that uploads (:mod:`s3push`) and the edges that download (:mod:`s3sync`).

Keys under ``s3://bucket/prefix/``::

    objects/<hash>[.gz|.br]        every file's bytes, named by its content and type: immutable
    versions/v0000000042.json      a snapshot's manifest.json, byte for byte: immutable
    current.json                   {"version": 42, "manifest": "versions/...", "versions": [...]}

Objects are named by content, so a publish uploads only the files whose content changed and a
version is complete before anything points at it; ``current.json`` is written last, in one
PUT, which S3 makes visible whole: a reader sees the old version or the new one, never a mix.
``versions`` in the pointer lists every version whose objects may still be in the bucket, so
the retention step finds what to delete without listing the bucket.

This module must not import Django: the edge uses it while the database is down.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

POINTER = "current.json"
#: Immutable objects (named by content or version) may be cached for as long as anyone likes;
#: the pointer must be asked for again each time.
IMMUTABLE = "public, max-age=31536000, immutable"
POINTER_CACHE = "no-cache, max-age=0"
#: Suffix of a pre-compressed sibling file -> its Content-Encoding.
ENCODINGS = {"": None, ".gz": "gzip", ".br": "br"}


class StoreError(Exception):
    """The bucket could not be read or written (unreachable, refused, or inconsistent)."""


@dataclass(frozen=True)
class Target:
    bucket: str
    prefix: str = ""  # without a trailing slash; "" for the bucket's root
    endpoint: str = ""  # S3-compatible services (MinIO, R2, Ceph...); "" for AWS
    region: str = ""

    @classmethod
    def parse(cls, url: str, endpoint: str = "", region: str = "") -> Target:
        """``s3://bucket/prefix`` -> Target; raises ValueError on anything else."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"not an s3://bucket/prefix URL: {url!r}")
        return cls(parts.netloc, parts.path.strip("/"), endpoint, region)

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def client(target: Target) -> Any:
    """A boto3 S3 client for ``target``. Credentials come the usual AWS way (AWS_ACCESS_KEY_ID
    and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance or task role), never from Tidings'
    settings, so no secret sits in a TIDINGS_* variable. Retries are few and short: a publish
    that cannot reach the bucket is retried by the next one, not held up."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=target.endpoint or None,
        region_name=target.region or None,
        config=Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 2, "mode": "standard"},
            max_pool_connections=16,
            # path-style requests work with every S3-compatible service and with bucket names
            # that hold dots
            s3={"addressing_style": "path"},
        ),
    )


def version_name(version: int) -> str:
    return f"versions/v{version:010d}.json"


def blob_name(etag: str, content_type: str, suffix: str = "") -> str:
    """The object holding a file: by its identity body's hash and its type (the same bytes
    served as two types are two objects, each with the right Content-Type)."""
    digest = hashlib.blake2b(f"{content_type}\n{etag}".encode(), digest_size=16).hexdigest()
    return f"objects/{digest}{suffix}"


@dataclass(frozen=True)
class Blob:
    name: str  # object name under the prefix
    file: str  # the file's name inside a snapshot directory
    content_type: str
    encoding: str | None


def blobs(manifest: dict[str, Any]) -> Iterator[Blob]:
    """Every object a snapshot's manifest needs: each file and its compressed siblings."""
    for meta in manifest["files"].values():
        for suffix, encoding in ENCODINGS.items():
            if encoding is not None and not meta.get(encoding):  # the manifest's "gzip", "br"
                continue
            yield Blob(
                name=blob_name(str(meta["etag"]), str(meta["type"]), suffix),
                file=str(meta["file"]) + suffix,
                content_type=str(meta["type"]),
                encoding=encoding,
            )


def blob_names(manifest: dict[str, Any]) -> set[str]:
    return {b.name for b in blobs(manifest)}


def is_missing(error: Exception) -> bool:
    return error_code(error) in ("404", "NoSuchKey", "NotFound")


def read_pointer(s3: Any, target: Target) -> dict[str, Any] | None:
    """The pointer, or None when nothing was ever published there."""
    return read_pointer_tagged(s3, target)[0]


def read_pointer_tagged(s3: Any, target: Target) -> tuple[dict[str, Any] | None, str | None]:
    """The pointer and its ETag (for a conditional replacement), or (None, None)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = s3.get_object(Bucket=target.bucket, Key=target.key(POINTER))
        body = answer["Body"].read()
    except ClientError as e:
        if is_missing(e):
            return None, None
        raise StoreError(f"reading {target}/{POINTER}: {e}") from e
    except BotoCoreError as e:
        raise StoreError(f"reading {target}/{POINTER}: {e}") from e
    try:
        doc: dict[str, Any] = json.loads(body)
        int(doc["version"])
    except (ValueError, KeyError, TypeError) as e:
        raise StoreError(f"{target}/{POINTER} is not a Tidings pointer") from e
    return doc, str(answer.get("ETag") or "") or None


def error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def read_object(s3: Any, target: Target, name: str) -> bytes:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        data: bytes = s3.get_object(Bucket=target.bucket, Key=target.key(name))["Body"].read()
    except (ClientError, BotoCoreError) as e:
        raise StoreError(f"reading {target}/{name}: {e}") from e
    return data
