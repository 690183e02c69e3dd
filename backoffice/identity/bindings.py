"""Binding a channel sender (a WeChat openid) to the resident who proved who they are.

The platform hands over the ID token the identity provider issued for the sign-in; the
back-office checks it itself (signature against the provider's published keys, issuer,
audience, expiry) and binds the sender to the token's `sub`. So a binding always rests on a
verified sign-in, never on an ID number typed in chat or a claim of the platform's. One sender
holds one resident (binding again replaces the old one); every bind and unbind is kept in
`identity_binding_event`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.errors import ApiError
from backoffice.identity.clock import utcnow
from backoffice.identity.models import BindingEvent
from backoffice.residents.models import Resident, WechatBinding

INVALID_TOKEN = ApiError(400, "invalid_id_token", "实名认证没有通过核验，请重新认证。")


@dataclass(frozen=True)
class Verifier:
    """What an ID token must satisfy: signed by one of ``keys``, from ``issuer``, for ``audience``."""

    keys: KeySet
    issuer: str
    audience: str

    def resident_id(self, id_token: str) -> int:
        try:
            token = jwt.decode(id_token, self.keys, algorithms=["RS256"])
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.audience},
                exp={"essential": True},
                sub={"essential": True},
            ).validate(token.claims)
            return int(token.claims["sub"])
        except (JoseError, ValueError, TypeError) as exc:
            raise INVALID_TOKEN from exc


def bind(sess: Session, verifier: Verifier, sender: str, id_token: str, lifetime: timedelta | None = None) -> Resident:
    """Bind ``sender`` to the token's resident; ``lifetime`` ends the binding by itself (a web chat sign-in)."""
    resident = sess.get(Resident, verifier.resident_id(id_token))
    if resident is None:
        raise INVALID_TOKEN
    binding = sess.get(WechatBinding, sender, with_for_update=True)
    now = utcnow()
    if binding is not None and binding.resident_id != resident.id:
        sess.add(
            BindingEvent(
                sender=sender,
                resident_id=binding.resident_id,
                action="unbound",
                at=now,
                note="replaced by a new sign-in",
            )
        )
        binding.resident_id, binding.bound_at = resident.id, func.now()
    elif binding is None:
        binding = WechatBinding(openid=sender, resident_id=resident.id)
        sess.add(binding)
    binding.expires_at = now + lifetime if lifetime else None
    sess.add(BindingEvent(sender=sender, resident_id=resident.id, action="bound", at=now, note="signed in"))
    sess.commit()
    return resident


def expire(sess: Session, now: datetime) -> None:
    """Delete the bindings whose lifetime is over, each with its audit event (in the caller's transaction)."""
    for binding in sess.scalars(select(WechatBinding).where(WechatBinding.expires_at <= now).with_for_update()):
        sess.add(
            BindingEvent(
                sender=binding.openid, resident_id=binding.resident_id, action="unbound", at=now, note="sign-in expired"
            )
        )
        sess.delete(binding)


def unbind(sess: Session, sender: str) -> bool:
    binding = sess.get(WechatBinding, sender, with_for_update=True)
    if binding is None:
        return False
    sess.add(
        BindingEvent(
            sender=sender, resident_id=binding.resident_id, action="unbound", at=utcnow(), note="the resident asked"
        )
    )
    sess.delete(binding)
    sess.commit()
    return True
