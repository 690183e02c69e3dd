"""What identity keeps: the stand-in's sign-in codes, authorization codes and SMS outbox; binding events.

All three are short-lived: a sign-in code lives five minutes, an authorization code one minute
(it is exchanged at once), a stand-in SMS a day; `identity.retention.purge` deletes them.
"""

from __future__ import annotations

from datetime import datetime

from authlib.oidc.core import AuthorizationCodeMixin
from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.orm import Base


class SigninCode(Base):
    """A one-time code texted to a resident's registered phone for one sign-in attempt."""

    __tablename__ = "idp_signin_code"
    id: Mapped[str] = mapped_column(String(43), primary_key=True)  # random, shown to the browser only
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuthorizationCode(Base, AuthorizationCodeMixin):
    """An OAuth 2.0 authorization code issued to a relying party after a verified sign-in."""

    __tablename__ = "idp_authorization_code"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(200))
    nonce: Mapped[str | None] = mapped_column(String(200), nullable=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    auth_time: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_amr(self) -> list[str]:
        return ["sms"]  # RFC 8176: confirmation by a code sent in a text message


class SmsMessage(Base):
    """A text the SMS gateway stand-in 'sent' (a real gateway keeps no copy here)."""

    __tablename__ = "sms_standin_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), index=True)
    text: Mapped[str] = mapped_column(String(200))
    sent_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class BindingEvent(Base):
    """Every bind and unbind of a sender to a resident: the audit trail of 实名绑定."""

    __tablename__ = "identity_binding_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(64), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))  # bound / unbound
    at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(String(60))
