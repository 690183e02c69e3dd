"""Where the files lie: one small interface, an S3-compatible object store in production and a
directory as the embedded default (``DOCUMENT_STORE``: ``s3://bucket/prefix`` or a path).

Keys are made by the platform (:func:`new_key`), never from a resident's file name.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit


class Store(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes:
        """The file; :class:`KeyError` when there is none."""
        ...

    def delete(self, key: str) -> None:
        """Gone afterwards, whether or not it was there."""
        ...


def new_key(extension: str) -> str:
    return f"{secrets.token_hex(16)}.{extension}"


def _checked(key: str) -> str:
    if not key or "/" in key or "\\" in key or key.startswith("."):
        raise ValueError("not a document key")
    return key


class FileStore:
    """Files under ``root``, readable by the platform's user only, written whole or not at all."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.root / _checked(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return (self.root / _checked(key)).read_bytes()
        except FileNotFoundError as exc:
            raise KeyError(key) from exc

    def delete(self, key: str) -> None:
        (self.root / _checked(key)).unlink(missing_ok=True)


class S3Store:
    """An S3-compatible bucket (AWS S3, MinIO, Ceph RGW, OSS/COS in S3 mode) through boto3; the
    credentials come from boto3's own chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a
    role), the endpoint from ``S3_ENDPOINT_URL`` for a store that is not AWS."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix.strip("/")

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{_checked(key)}" if self.prefix else _checked(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"].read()
        except self.client.exceptions.NoSuchKey as exc:
            raise KeyError(key) from exc

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))  # S3 answers 204 for a missing key too


def open_store(location: str, s3_endpoint_url: str = "") -> Store:
    """``s3://bucket/prefix`` → :class:`S3Store`; anything else is a directory (``file://`` optional)."""
    parts = urlsplit(location)
    if parts.scheme == "s3":
        import boto3  # only a process configured for S3 loads it

        client = boto3.client("s3", endpoint_url=s3_endpoint_url or None)
        return S3Store(client, parts.netloc, parts.path)
    return FileStore(Path(parts.path if parts.scheme == "file" else location))
