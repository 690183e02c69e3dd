"""Verifying a resident: name and ID number against the registry, then a code texted to its phone.

The registry's phone, never one the person types, receives the code, so knowing someone's
name and ID number is not enough to sign in as them. A code lives five minutes and allows
five tries; a resident gets at most five codes an hour. A mismatch never says which of name
or ID number was wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.identity import retention
from backoffice.identity.clock import utcnow
from backoffice.identity.models import SigninCode
from backoffice.identity.sms import SmsGateway
from backoffice.residents.models import Resident
from common.masking import is_valid_id_number, mask_phone

CODE_LIFETIME = timedelta(minutes=5)
CODE_TRIES = 5
CODES_PER_HOUR = 5


class SigninRefused(Exception):
    """Why a step of the sign-in could not go on, in words for the resident."""

    def __init__(self, message: str, *, restart: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.restart = restart  # False: the same code page again (a mistyped code with tries left)


@dataclass(frozen=True)
class CodeSent:
    challenge: str  # the SigninCode's id, carried by the page to the next step
    masked_phone: str


def _digest(code: str, challenge: str) -> str:
    return hashlib.sha256(f"{challenge}:{code}".encode()).hexdigest()


def send_code(sess: Session, sms: SmsGateway, name: str, id_number: str) -> CodeSent:
    name, id_number = name.strip(), id_number.strip().upper()
    if not name or not is_valid_id_number(id_number):
        raise SigninRefused("请填写您的姓名和18位身份证号码。")
    resident = sess.scalar(select(Resident).where(Resident.id_number == id_number))
    if resident is None or resident.name != name:
        raise SigninRefused("姓名和身份证号码与户籍登记的信息对不上，请核对后再试。")
    if not resident.phone:
        raise SigninRefused("户籍登记里没有您的手机号码，请带身份证到社区事务受理服务中心登记后再认证。")
    now = utcnow()
    retention.purge(sess, now)
    recent = sess.scalar(
        select(func.count())
        .select_from(SigninCode)
        .where(SigninCode.resident_id == resident.id, SigninCode.created_at > now - timedelta(hours=1))
    )
    if recent >= CODES_PER_HOUR:
        raise SigninRefused("验证码发送次数太多了，请一小时后再试。")
    code = f"{secrets.randbelow(1_000_000):06d}"
    challenge = secrets.token_urlsafe(32)
    sess.add(
        SigninCode(
            id=challenge,
            resident_id=resident.id,
            code_hash=_digest(code, challenge),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
            attempts=0,
        )
    )
    sess.commit()
    sms.send(
        resident.phone, f"【民政局】您的实名认证验证码是{code}，5分钟内有效。请勿告诉他人，工作人员不会向您索要验证码。"
    )
    return CodeSent(challenge, mask_phone(resident.phone))


def check_code(sess: Session, challenge: str, code: str) -> Resident:
    """The resident the code was sent to, once; a wrong code uses up one of the tries."""
    pending = sess.get(SigninCode, challenge, with_for_update=True)
    now = utcnow()
    if pending is None or pending.used_at is not None or pending.expires_at <= now or pending.attempts >= CODE_TRIES:
        raise SigninRefused("验证码已经失效，请重新获取。")
    pending.attempts += 1
    if not hmac.compare_digest(pending.code_hash, _digest(code.strip(), challenge)):
        sess.commit()
        left = CODE_TRIES - pending.attempts
        if left:
            raise SigninRefused(f"验证码不对，还可以再试{left}次。", restart=False)
        raise SigninRefused("验证码输错的次数太多了，请重新获取。")
    pending.used_at = now
    sess.commit()
    return sess.get(Resident, pending.resident_id)
