"""Looking residents up in the registry, for every domain that reads it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backoffice.residents.models import Resident, WechatBinding


def resident_for_openid(sess: Session, openid: str) -> Resident | None:
    """The resident a WeChat openid (or other channel sender id) is verifiably bound to (实名绑定)."""
    binding = sess.get(WechatBinding, openid)
    return sess.get(Resident, binding.resident_id) if binding else None
