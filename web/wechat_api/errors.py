"""WeChat API error codes as typed exceptions (the codes are WeChat's global return codes)."""

from __future__ import annotations

SYSTEM_BUSY = -1
TOKEN_INVALID = frozenset({40001, 40014, 42001})  # invalid credential, invalid token, token expired
WINDOW_CLOSED = 45015  # the resident has not written within 48 h, or unsubscribed
RATE_LIMITS = frozenset({45009, 45011, 45047})  # daily quota, API frequency, customer-service count per interaction
NOT_SUBSCRIBED = 43101  # bizsend: the resident has not accepted (or has since refused) this subscription template
ARGUMENT_INVALID = 47003  # a value breaks its field's rule (bizsend's data types)


class WechatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


class Transient(WechatApiError):
    """Surely not delivered, still after the retries: WeChat answered system busy (-1), or the
    request never reached it (connection refused, DNS failure, connect timeout). Safe to send again."""


class InDoubt(WechatApiError):
    """The request may have reached WeChat, and no answer came back (a read timeout, a connection
    dropped after the request left, an answer that is not WeChat's JSON). WeChat has no idempotency
    key and no way to ask whether a message arrived: never sent again automatically."""


class WindowClosed(WechatApiError):
    """45015: customer-service messages are closed for this resident (fall back to a template)."""


class RateLimited(WechatApiError):
    """A quota or frequency limit: do not retry now."""


class RuleBroken(WechatApiError):
    """Refused by the platform before sending: the content breaks WeChat's rules for this kind of
    message (web/wechat_api/rules.py). ``problems`` are Chinese sentences for the staff."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(ARGUMENT_INVALID, "refused before sending: " + "；".join(problems))
        self.problems = problems


def raise_for(errcode: int, errmsg: str) -> None:
    if errcode == 0:
        return
    if errcode == WINDOW_CLOSED:
        raise WindowClosed(errcode, errmsg)
    if errcode in RATE_LIMITS:
        raise RateLimited(errcode, errmsg)
    if errcode == SYSTEM_BUSY:
        raise Transient(errcode, errmsg)
    raise WechatApiError(errcode, errmsg)
