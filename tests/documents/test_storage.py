"""The one storage interface on both stores: a directory, and an S3-compatible server (moto's
server: the S3 HTTP API on a loopback port, spoken to by boto3 as to AWS or MinIO)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.documents.conftest import PDF
from tools import stack
from web.documents.storage import FileStore, S3Store, Store, new_key, open_store


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = stack.free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_store(s3_endpoint, monkeypatch) -> S3Store:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "documents-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "documents-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket="civic-documents")
    store = open_store("s3://civic-documents/residents", s3_endpoint)
    assert isinstance(store, S3Store)
    return store


@pytest.fixture(params=["directory", "s3"])
def store(request, tmp_path) -> Store:
    return open_store(str(tmp_path / "docs")) if request.param == "directory" else request.getfixturevalue("s3_store")


def test_put_get_delete(store):
    key = new_key("pdf")
    store.put(key, PDF, "application/pdf")
    assert store.get(key) == PDF
    store.delete(key)
    with pytest.raises(KeyError):
        store.get(key)
    store.delete(key)  # already gone: no error


def test_keys_are_the_platforms_own(store):
    for bad in ("../etc/passwd", "a/b.jpg", ".hidden", ""):
        with pytest.raises(ValueError):
            store.put(bad, PDF, "application/pdf")


def test_s3_objects_lie_under_the_prefix_with_their_type(s3_store, s3_endpoint):
    key = new_key("pdf")
    s3_store.put(key, PDF, "application/pdf")
    head = boto3.client("s3", endpoint_url=s3_endpoint).head_object(Bucket="civic-documents", Key=f"residents/{key}")
    assert head["ContentType"] == "application/pdf" and head["ContentLength"] == len(PDF)


def test_a_directory_store_leaves_no_partial_file(tmp_path):
    store = FileStore(tmp_path / "docs")
    store.put(new_key("jpg"), b"x", "image/jpeg")
    assert [p.name for p in (tmp_path / "docs").iterdir() if p.name.startswith(".")] == []
    assert open_store(f"file://{tmp_path}/docs").root == tmp_path / "docs"
