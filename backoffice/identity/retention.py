"""How long the identity stand-in keeps what a sign-in leaves behind: a day, then it is deleted.

Sign-in codes are needed for five minutes (and an hour, to count the codes a resident was
sent); authorization codes for one minute; the SMS stand-in's texts only for the demo page.
Each new code sent deletes what is older than a day, so nothing needs a scheduler.
Bindings whose lifetime is over (a web chat sign-in's) are deleted too, each with its audit event.
Binding events (`identity_binding_event`) are the bureau's audit log and are not purged here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from backoffice.identity import bindings
from backoffice.identity.models import AuthorizationCode, SigninCode, SmsMessage

KEPT = timedelta(days=1)


def purge(sess: Session, now: datetime) -> None:
    """Delete in the caller's transaction."""
    cutoff = now - KEPT
    sess.execute(delete(SigninCode).where(SigninCode.created_at < cutoff))
    sess.execute(delete(AuthorizationCode).where(AuthorizationCode.expires_at < cutoff))
    sess.execute(delete(SmsMessage).where(SmsMessage.sent_at < cutoff))
    bindings.expire(sess, now)
