"""Looking residents up in the registry, for every domain that reads it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from backoffice.identity.clock import utcnow
from backoffice.residents.models import Resident, WechatBinding


def current_binding(sess: Session, sender: str, now: datetime) -> WechatBinding | None:
    """A sender's binding, unless its lifetime (a web chat sign-in's) is over."""
    binding = sess.get(WechatBinding, sender) if sender else None
    return binding if binding is not None and (binding.expires_at is None or binding.expires_at > now) else None


def resident_for_openid(sess: Session, openid: str) -> Resident | None:
    """The resident a WeChat openid (or other channel sender id) is verifiably bound to (实名绑定), now."""
    binding = current_binding(sess, openid, utcnow())
    return sess.get(Resident, binding.resident_id) if binding else None
