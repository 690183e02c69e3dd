"""The child-protection API: a report of a child at risk becomes a case (idempotent), and a case is read back.

HTTP only: the body becomes a :class:`~backoffice.child_protection.cases.Report`; whom the case goes to is
:mod:`backoffice.child_protection.cases`' business.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, jsonify, request

from backoffice import contract, idempotency
from backoffice.child_protection import cases, schemas
from backoffice.child_protection.models import KINDS
from backoffice.errors import ApiError
from backoffice.identity.clock import utcnow
from common.db import session

bp = Blueprint("child_protection", __name__, url_prefix="/child-protection")

MAX_SENDER, MAX_ACCOUNT, MAX_URL = 80, 10000, 500

IDEMPOTENCY = idempotency.Policy(
    scope="child_protection",
    max_length=100,
    missing=ApiError(400, "idempotency_key_required", "请求缺少 Idempotency-Key。"),
    conflict=ApiError(409, "idempotency_key_reused", "这个请求编号已经用在另一份报告上了。"),
)


def _text(body: dict, name: str, limit: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ApiError(400, "bad_request", f"{name} 要是不超过 {limit} 个字的文字。")
    return value


def _report(body: dict) -> cases.Report:
    kind = body.get("kind")
    if kind not in KINDS:
        raise ApiError(400, "bad_kind", f"kind 只能是：{'、'.join(KINDS)}")
    url = _text(body, "conversation_url", MAX_URL)
    if not url.startswith(("http://", "https://")):
        raise ApiError(400, "bad_request", "conversation_url 要是 http(s) 链接。")
    try:
        reported_at = datetime.fromisoformat(str(body.get("reported_at", "")))
    except ValueError:
        raise ApiError(
            400, "bad_reported_at", "reported_at 要是 ISO 8601 时间，例如 2026-12-04T09:30:00+08:00。"
        ) from None
    if reported_at.tzinfo is not None:  # stored as naive UTC; a time without an offset is taken as UTC
        reported_at = reported_at.astimezone(UTC).replace(tzinfo=None)
    return cases.Report(
        sender=_text(body, "sender", MAX_SENDER).strip(),
        kind=kind,
        account=_text(body, "account", MAX_ACCOUNT),
        conversation_url=url,
        reported_at=reported_at,
    )


@bp.post("/cases")
@contract.operation(
    "A resident reports a child at risk: a case for the 儿童主任 of a verified sender's community, otherwise for the "
    "duty worker of a district's 未成年人保护工作站. Idempotent: the same Idempotency-Key and body return the same case.",
    headers=[
        contract.idempotency_key(
            100,
            True,
            "the same key and body return the same case (201 again, header `Idempotent-Replayed: true`); another "
            "body is refused (409)",
        )
    ],
    body=schemas.ChildProtectionReport,
    responses={201: ("made (or made before with this key)", schemas.ChildProtectionCase)},
    errors={
        400: "idempotency_key_required, bad_kind, bad_reported_at or bad_request",
        409: "idempotency_key_reused",
    },
)
def report():
    idempotency.request_key(IDEMPOTENCY)
    body = request.get_json(silent=True)
    made = _report(body if isinstance(body, dict) else {})

    def work(sess) -> idempotency.Answer:
        case = cases.create(sess, made, utcnow())
        return idempotency.Answer(cases.as_json(sess, case), 201, case.reference)

    return idempotency.run(IDEMPOTENCY, work)


@bp.get("/cases/<reference>")
@contract.operation(
    "One case: whom it was assigned to and its status (the resident's account is not returned)",
    path={"reference": "case reference (WB + date + number)"},
    responses={200: ("the case", schemas.ChildProtectionCase)},
    errors={404: "not_found"},
)
def get_case(reference: str):
    sess = session()
    return jsonify(cases.as_json(sess, cases.find(sess, reference)))
