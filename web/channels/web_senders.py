"""Who a web chat message is from: an anonymous REST sender, or a page the server signed.

Rasa's REST format names the sender in the body, so a bare REST client (any widget) can call
itself anything: such a conversation is ``web:<sender>`` and stays anonymous. The /chat page
gets its sender from the server (``page-<random>``) with a token signed with SECRET_KEY; its
messages carry the token (``X-Chat-Token``) and the sender is read from it. A REST body may not
name a page sender, so only the page that holds the token speaks as it, and only such a
sender can be signed in (real-name verified) and trusted with the resident's own errands.
"""

from __future__ import annotations

import uuid

from itsdangerous import BadSignature, URLSafeSerializer

PREFIX = "web:"
PAGE = "page-"
SOCKET = "sio-"  # a Socket.IO session's sender, made and signed by the server (web/channels/socketio_channel.py)
SIGNED_IN_SECONDS = 2 * 3600  # how long a page's 实名认证 lasts (a shared computer is left signed in no longer)

# Flask session keys (the signed cookie of the resident's browser)
SESSION_PAGE = "chat_page"  # this browser's page sender
SESSION_SIGNED_IN = "chat_signed_in"  # {"name": masked name, "until": epoch seconds} after 实名认证


def sender_id(sender: str) -> str:
    """The conversation's sender id for a REST sender (``web:`` keeps it apart from WeChat openids)."""
    return PREFIX + sender


def new_page_sender() -> str:
    return PAGE + uuid.uuid4().hex


def is_page_sender(sender: str) -> bool:
    """A sender only a signed page can speak as (``sender`` as in the REST body, without ``web:``)."""
    return sender.startswith(PAGE)


def is_server_made(sender: str) -> bool:
    """A sender only the server makes (a /chat page's, a Socket.IO session's): a REST body may not name it."""
    return sender.startswith((PAGE, SOCKET))


def is_signed_page(conversation_sender_id: str) -> bool:
    """A conversation of a /chat page, whose messages all came with the page's signed token."""
    return conversation_sender_id.startswith(PREFIX + PAGE)


def verifiable(channel: str, conversation_sender_id: str) -> bool:
    """Whether a conversation's sender can be real-name verified: a WeChat openid or a signed /chat page."""
    return channel == "wechat" or is_signed_page(conversation_sender_id)


class PageTokens:
    """The token a /chat page carries: its sender, signed with the app's secret."""

    SALT = "web-chat"

    def __init__(self, secret_key: str) -> None:
        self.signer = URLSafeSerializer(secret_key, salt=self.SALT)

    def issue(self, sender: str) -> str:
        return self.signer.dumps(sender)

    def sender(self, token: str) -> str | None:
        """The sender a token was issued for; None when it was not issued here."""
        try:
            sender = self.signer.loads(token)
        except BadSignature:
            return None
        return sender if isinstance(sender, str) and sender else None


class SocketTokens(PageTokens):
    """A Socket.IO session's id (what ``session_confirm`` gives the widget): its sender, signed.
    Another salt, so a /chat page's token is not a Socket.IO session id nor the other way round."""

    SALT = "web-chat-socketio"

    @staticmethod
    def new_sender() -> str:
        return SOCKET + uuid.uuid4().hex
