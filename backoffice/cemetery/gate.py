"""At the gate: what the attendant sees of a booking, the attendants' check-in codes, and marking a booking used.

The gate-check page is public (the resident shows it, the attendant may open it on their own phone), so seeing it
proves nothing. Marking a booking used takes an attendant's check-in code: issued by staff for one cemetery until a
day (``issue``), eight random digits shown once and stored only as a keyed digest (HMAC with the back-office's
``SECRET_KEY``), revocable. Every try, right or wrong, is a ``cemetery_gate_check`` row (who, when, from where), and
after ``MAX_WRONG`` wrong codes on one booking within ``LOCK_FOR`` its page takes no code until the time is over: a
resident cannot guess their way to marking their own booking.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backoffice.cemetery.models import CemeteryAttendant, CemeteryBooking, CemeteryGateCheck
from backoffice.errors import ApiError
from backoffice.marriage.calendar import chinese_date, now, today
from backoffice.residents.models import Resident
from common.masking import mask_name

CODE_DIGITS = 8
MAX_WRONG = 5
LOCK_FOR = timedelta(minutes=15)
NAME_MAX = 20


def _digest(secret: str, code: str) -> str:
    return hmac.new(secret.encode(), ("cemetery-attendant:" + code).encode(), hashlib.sha256).hexdigest()


def _moment(at: datetime) -> str:
    return f"{chinese_date(at.date())} {at:%H:%M}"


# --- attendants' codes (staff) --------------------------------------------------------------------------------------


def issue(
    sess: Session, cemetery_code: str, name: str, valid_until: date, editor: str, secret: str
) -> tuple[CemeteryAttendant, str]:
    """A new attendant's code for one cemetery (returned once, never stored as it is)."""
    name = " ".join(name.split())
    if not 0 < len(name) <= NAME_MAX:
        raise ApiError(422, "invalid_name", f"请填门岗工作人员的姓名或工号（最多{NAME_MAX}个字）")
    if valid_until < today():
        raise ApiError(422, "invalid_date", "有效期不能早于今天")
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        digest = _digest(secret, code)
        if sess.scalar(select(CemeteryAttendant.id).where(CemeteryAttendant.code_digest == digest)) is None:
            break
    attendant = CemeteryAttendant(
        cemetery_code=cemetery_code, name=name, code_digest=digest, valid_until=valid_until, issued_by=editor
    )
    sess.add(attendant)
    sess.flush()
    return attendant, code


def attendants(sess: Session, cemetery_code: str) -> list[CemeteryAttendant]:
    """The cemetery's codes that still work (not revoked, not expired)."""
    return list(
        sess.scalars(
            select(CemeteryAttendant)
            .where(
                CemeteryAttendant.cemetery_code == cemetery_code,
                CemeteryAttendant.revoked.is_(False),
                CemeteryAttendant.valid_until >= today(),
            )
            .order_by(CemeteryAttendant.id)
        )
    )


def revoke(sess: Session, attendant_id: int) -> CemeteryAttendant:
    attendant = sess.get(CemeteryAttendant, attendant_id)
    if attendant is None:
        raise ApiError(404, "attendant_not_found", "没有这个核验码")
    attendant.revoked = True
    return attendant


def attendant_json(a: CemeteryAttendant) -> dict:
    return {
        "id": a.id,
        "cemetery_code": a.cemetery_code,
        "name": a.name,
        "valid_until": a.valid_until.isoformat(),
        "revoked": a.revoked,
        "issued_by": a.issued_by,
    }


# --- the page and the check-in ----------------------------------------------------------------------------------------


def state(sess: Session, number: str) -> dict:
    """What the gate attendant sees: the booking's state and a masked name, nothing else about the resident."""
    booking = sess.scalar(select(CemeteryBooking).where(CemeteryBooking.number == number))
    if booking is None:
        raise ApiError(404, "booking_not_found", "没有这个预约")
    return _state(sess, booking)


def _state(sess: Session, booking: CemeteryBooking) -> dict:
    resident = sess.get(Resident, booking.resident_id)
    on = today()
    if booking.status == "used" and booking.used_at:
        key, verdict = "used", f"已核验入园（{_moment(booking.used_at)}），不能再次入园"
    elif booking.status == "cancelled":
        key, verdict = "cancelled", "已取消，不能入园"
    elif booking.day < on:
        key, verdict = "past", "预约的日子已经过了"
    elif booking.day > on:
        key, verdict = "not_today", f"预约的是{chinese_date(booking.day)}，不是今天"
    else:
        key, verdict = "valid", "今天有效"
    return {
        "number": booking.number,
        "state": key,
        "verdict": verdict,
        "name": mask_name(resident.name) if resident else "",
        "people": booking.people,
        "cemetery": booking.cemetery.name,
        "gate": booking.gate.name,
        "date_label": chinese_date(booking.day),
        "start": booking.start,
        "end": booking.end,
        "used_at": _moment(booking.used_at) if booking.used_at else "",
        "used_by": booking.used_by,
    }


def _already_used(booking: CemeteryBooking) -> str:
    at = _moment(booking.used_at) if booking.used_at else ""
    return f"这个预约{at}已经核验过了（{booking.used_by}），不能再次入园。"


@dataclass(frozen=True)
class Check:
    """The answer to one press of 核验入园: ``outcome`` (used, already_used, wrong_code, locked, not_valid), the
    HTTP status the page is answered with, what the attendant reads, and the booking's state afterwards."""

    outcome: str
    status: int
    message: str
    state: dict


def check_in(sess: Session, number: str, code: str, remote_addr: str, secret: str) -> Check:
    """Mark a booking valid today as used, with an attendant's code of its cemetery. Every try is recorded; the
    caller commits whatever the outcome (a wrong code counts towards the lock)."""
    booking = sess.scalar(select(CemeteryBooking).where(CemeteryBooking.number == number))
    if booking is None:
        raise ApiError(404, "booking_not_found", "没有这个预约")
    at = now()

    def answer(outcome: str, status: int, message: str, attendant: CemeteryAttendant | None = None) -> Check:
        sess.add(
            CemeteryGateCheck(
                booking_id=booking.id,
                attendant_id=attendant.id if attendant else None,
                outcome=outcome,
                remote_addr=remote_addr[:45],
                at=at,
            )
        )
        sess.flush()
        return Check(outcome, status, message, _state(sess, booking))

    wrong = sess.scalar(
        select(func.count())
        .select_from(CemeteryGateCheck)
        .where(
            CemeteryGateCheck.booking_id == booking.id,
            CemeteryGateCheck.outcome == "wrong_code",
            CemeteryGateCheck.at > at - LOCK_FOR,
        )
    )
    if wrong >= MAX_WRONG:
        minutes = int(LOCK_FOR.total_seconds() // 60)
        return answer("locked", 429, f"核验码输错太多次了，请过{minutes}分钟再试，或者请别的工作人员用他的手机核验。")
    attendant = sess.scalar(
        select(CemeteryAttendant).where(
            CemeteryAttendant.code_digest == _digest(secret, code.strip()),
            CemeteryAttendant.cemetery_code == booking.cemetery_code,
            CemeteryAttendant.revoked.is_(False),
            CemeteryAttendant.valid_until >= today(),
        )
    )
    if attendant is None:
        return answer("wrong_code", 403, "核验码不对。核验码是发给本公墓门岗工作人员的，来祭扫的居民不用填。")
    if booking.status == "used":
        return answer("already_used", 409, _already_used(booking), attendant)
    if _state(sess, booking)["state"] != "valid":
        return answer("not_valid", 422, "这个预约今天不能入园，不能核验。", attendant)
    marked = sess.execute(  # two attendants at once: only one marks it
        update(CemeteryBooking)
        .where(CemeteryBooking.id == booking.id, CemeteryBooking.status == "booked")
        .values(status="used", used_at=at, used_by=attendant.name)
        .execution_options(synchronize_session=False)
    ).rowcount
    sess.refresh(booking)
    if not marked and booking.status == "used":  # another attendant, a moment before
        return answer("already_used", 409, _already_used(booking), attendant)
    if not marked:  # cancelled or moved by the resident a moment before
        return answer("not_valid", 422, "这个预约今天不能入园，不能核验。", attendant)
    return answer("used", 200, f"核验好了，请{booking.people}位入园。", attendant)
