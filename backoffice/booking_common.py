"""What booking a marriage registration and booking a cemetery visit share, besides the slots' places
(:mod:`backoffice.slots`): who may book (a verified resident), a second live booking refused by the database's
unique index and answered as the domain's refusal, the reference numbers, and on the HTTP side the idempotent
answer of the one booking a write made or changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Protocol, TypeVar

from flask import Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backoffice import idempotency
from backoffice.errors import ApiError
from backoffice.residents.models import Resident
from backoffice.residents.registry import resident_for_openid


class Numbered(Protocol):
    number: str | None


Row = TypeVar("Row", bound=Numbered)


def not_bound(what: str) -> ApiError:
    """The refusal of a sender without a real-name binding, for bookings of ``what`` (婚姻登记, 祭扫)."""
    return ApiError(
        403,
        "not_bound",
        f"预约、查询、取消和改约{what}，要先确认是您本人：请在微信公众号里完成实名认证（我的 → 实名认证），"
        "认证好了就可以接着办。",
    )


def verified_resident(sess: Session, openid: str, refusal: ApiError) -> Resident:
    """The resident this sender is bound to by a verified sign-in (实名绑定), else ``refusal``; nothing typed in
    chat counts."""
    resident = resident_for_openid(sess, openid)
    if resident is None:
        raise refusal
    return resident


def flush_or(sess: Session, refusal: ApiError) -> None:
    """Flush; a unique index's refusal (a second live booking) becomes ``refusal``."""
    try:
        sess.flush()
    except IntegrityError:
        raise refusal from None


def reference(prefix: str, day: date, row_id: int) -> str:
    """A booking's number as residents read it: prefix, the day (YYMMDD), the row's id in five digits."""
    return f"{prefix}{day:%y%m%d}{row_id:05d}"


def idempotency_policy(scope: str) -> idempotency.Policy:
    """A booking domain's writes: the key optional, one reused with another body refused."""
    return idempotency.Policy(
        scope=scope, conflict=ApiError(422, "idempotency_key_reused", "这个请求编号已经用在另一份不同的预约上了")
    )


def write(
    policy: idempotency.Policy,
    status: int,
    work: Callable[[Session], Row],
    render: Callable[[Session, Row], dict[str, Any]],
) -> tuple[Response, int]:
    """Run ``work`` once per ``Idempotency-Key`` (:func:`backoffice.idempotency.run`) and answer the booking it
    made or changed, shown by ``render`` with ``status``; its number is what the key's record names."""

    def answer(sess: Session) -> idempotency.Answer:
        row = work(sess)
        return idempotency.Answer(render(sess, row), status, row.number)

    return idempotency.run(policy, answer)
