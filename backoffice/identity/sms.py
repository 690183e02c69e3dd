"""The SMS gateway the identity service texts codes through, and its stand-in.

Production uses the city's SMS gateway behind the same one-method interface. The stand-in
keeps what it 'sent' in a table, so that the demo page (`/idp/sms`, demo region only) can
show the code to whoever is trying the system, labelled as a demonstration.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from backoffice.identity.clock import utcnow
from backoffice.identity.models import SmsMessage


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class StandinSms:
    """Writes the message to `sms_standin_message` in the caller's session (committed with it)."""

    def __init__(self, sess: Session) -> None:
        self.sess = sess

    def send(self, phone: str, text: str) -> None:
        self.sess.add(SmsMessage(phone=phone, text=text, sent_at=utcnow()))
        self.sess.commit()
