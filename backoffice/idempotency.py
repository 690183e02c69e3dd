"""Idempotent writes: one module, one table (``idempotency_record``), for every create endpoint.

A write carrying an ``Idempotency-Key`` runs once. Its key, a fingerprint of the request (path
and JSON body) and the answer it got are stored in the same transaction as the write, so:

- the same key with the same request answers the stored answer again (header
  ``Idempotent-Replayed: true``; with the endpoint's ``replay_status`` when it has one, e.g.
  200 "already made" instead of 201) and changes nothing;
- the same key with another request gets the endpoint's ``conflict`` refusal;
- refusals (4xx) store nothing: they changed nothing, so the request may be sent again.

Concurrent requests with one key queue on the record's primary key: the second insert waits
for the first transaction and then replays its answer. Keys live in a ``scope`` (one per
domain), so the same key may be used once in marriage and once in assistance.

Records migrated from before this table (assistance and eldercare applications, migration
``bo_idempotency_0001``) carry no fingerprint and no stored answer: the key alone decides, as it
did for them, and the endpoint's ``render`` shows the resource the key made.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import DateTime, Integer, String, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from backoffice.errors import ApiError
from backoffice.orm import Base
from common.db import session

HEADER = "Idempotency-Key"


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_record"
    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))  # None: migrated, the key alone decides
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict | None] = mapped_column()  # None: migrated, ``Policy.render`` shows the resource
    resource: Mapped[str | None] = mapped_column(String(40))  # what the write made: case number, reference …
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


@dataclass(frozen=True)
class Answer:
    """What a write answered: the JSON body, its status and the identifier of what it made or changed."""

    body: dict[str, Any]
    status: int
    resource: str | None = None


@dataclass(frozen=True)
class Policy:
    """How one endpoint takes its key. ``missing`` refuses a request without a (valid) key; ``None``
    makes the key optional (a longer one is cut to ``max_length``)."""

    scope: str
    conflict: ApiError
    max_length: int = 128
    missing: ApiError | None = None
    replay_status: int | None = None  # None: the status of the first answer
    render: Callable[[Session, str], dict[str, Any]] | None = None  # migrated records only


@contextmanager
def writing(sess: Session) -> Iterator[None]:
    """One write transaction. SQLite takes its write lock up front (BEGIN IMMEDIATE), so two
    writers queue on the busy timeout instead of failing when a read lock would need upgrading."""
    if sess.get_bind().dialect.name == "sqlite":
        sess.connection().exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
        sess.commit()
    except BaseException:
        sess.rollback()
        raise


def request_key(policy: Policy) -> str | None:
    key = request.headers.get(HEADER, "").strip()
    if not key or len(key) > policy.max_length:
        if policy.missing is not None:
            raise policy.missing
        key = key[: policy.max_length]
    return key or None


def fingerprint() -> str:
    body = json.dumps(request.get_json(silent=True), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256((request.path + body).encode()).hexdigest()


class _Raced(Exception):
    """Another request with the same key committed first."""


def run(policy: Policy, work: Callable[[Session], Answer]) -> tuple[Response, int]:
    """Run ``work`` in one write transaction, once per key (see the module's docstring)."""
    sess = session()
    key = request_key(policy)
    digest = fingerprint()
    if key and (stored := sess.get(IdempotencyRecord, (policy.scope, key))) is not None:
        return _replay(policy, sess, stored, digest)
    try:
        with writing(sess):
            record = None
            if key:
                record = IdempotencyRecord(scope=policy.scope, key=key, request_hash=digest, status_code=0)
                sess.add(record)
                try:
                    sess.flush()
                except IntegrityError:
                    raise _Raced() from None
            answer = work(sess)
            if record is not None:
                record.status_code, record.response, record.resource = answer.status, answer.body, answer.resource
    except _Raced:
        return _replay(policy, sess, sess.get(IdempotencyRecord, (policy.scope, key)), digest)
    return jsonify(answer.body), answer.status


def _replay(policy: Policy, sess: Session, stored: IdempotencyRecord, digest: str) -> tuple[Response, int]:
    if stored.request_hash is not None and stored.request_hash != digest:
        raise policy.conflict
    if stored.response is None and policy.render and stored.resource:
        body = policy.render(sess, stored.resource)
    else:
        body = stored.response or {}
    resp = jsonify(body)
    resp.headers["Idempotent-Replayed"] = "true"
    return resp, policy.replay_status or stored.status_code
