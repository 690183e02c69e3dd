"""How many customer-service messages a WeChat resident may still be sent, and until when.

WeChat lets an account send customer-service messages (``/cgi-bin/message/custom/send``) only
after the resident did something, and only so many (developers.weixin.qq.com, 服务号 发送客服消息
``sendCustomMessage``; docs/wechat.md, *Customer-service window and quota*):

=============================================  ========  ==========
what the resident did                          messages  valid for
=============================================  ========  ==========
sent a message (text, voice, picture …)        5         48 hours
tapped a menu item (click / scancode_*)        3         1 minute
followed the account (subscribe)               3         1 minute
scanned a QR code (SCAN, subscribe with scene) 3         1 minute
=============================================  ========  ==========

Each interaction gives a fresh grant of its scene (a new message: 5 again for 48 hours), and a
menu tap does not give the message scene's quota (WeChat's 特别说明), so the platform keeps the two
scenes apart: ``message`` and ``event``. Past them WeChat answers 45015 (回复时间超过限制: no grant
open, or the resident unfollowed) or 45047 (客服接口下行条数超过上限: the grants' messages are used).

The record is kept in Redis per openid (``wechat:cs:<openid>``, a hash, gone when the last grant
ends), from what the platform actually receives and sends:

* :func:`record_inbound` — the WeChat channel, for each fresh (not retried) message or event;
* :func:`record_sent` — the sender (web/outbound/wechat_sender.py), for each customer-service
  message WeChat took (and for one in doubt: WeChat may have counted it);
* :func:`record_refused` — the sender, when WeChat answered 45015 / 45047 anyway: WeChat's word
  wins over the record (a grant the platform never saw, or Redis lost its data, is corrected).

:func:`allowance` answers ``Allowance(open_until, left)`` for the console (what the agent sees
before typing) and for anyone choosing a channel (web/notify.py). ``left`` counts messages already
sent; messages written but not yet sent are :func:`pending` (the console subtracts them). Every
function raises ``redis.RedisError`` when Redis does not answer: the caller says "unknown".
Times are ``datetime``; naive ones are UTC, as every platform timestamp (web/workdays.utcnow).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from web.outbound.models import OutboundMessage

MESSAGE, EVENT = "message", "event"
GRANTS = {MESSAGE: (48 * 3600, 5), EVENT: (60, 3)}  # scene -> (seconds, messages)
EVENT_SCENES = frozenset({"click", "scancode_push", "scancode_waitmsg", "subscribe", "subscribe_scan", "scan"})
WINDOW_CLOSED, QUOTA_USED = 45015, 45047
PENDING = ("queued", "sending")


@dataclass(frozen=True)
class Allowance:
    """``open_until``: when the last open grant ends (None: none open, 45015); ``left``: messages
    that may still be sent in the open grants (0 with a grant open: 45047)."""

    open_until: datetime | None
    left: int

    @property
    def can_send(self) -> bool:
        return self.open_until is not None and self.left > 0

    def seconds_left(self, now: datetime) -> int:
        return max(0, int(self.open_until.timestamp() - _epoch(now))) if self.open_until else 0


def scene_of(kind: str, event: str = "") -> str | None:
    """The grant a WeChat message (``kind`` = MsgType) or event opens, or None (VIEW, receipts,
    location reports, unsubscribe …)."""
    if kind != "event":
        return MESSAGE
    return EVENT if event in EVENT_SCENES else None


def _key(openid: str) -> str:
    return f"wechat:cs:{openid}"


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


# KEYS[1] the hash; ARGV: scene, until, quota. A grant replaces its scene's; the hash lives
# as long as its longest grant.
_INBOUND = """
redis.call('HSET', KEYS[1], ARGV[1] .. '_until', ARGV[2], ARGV[1] .. '_left', ARGV[3])
local last = 0
for _, scene in ipairs({'message', 'event'}) do
  local u = tonumber(redis.call('HGET', KEYS[1], scene .. '_until') or '0')
  if u > last then last = u end
end
redis.call('EXPIREAT', KEYS[1], math.ceil(last) + 60)
return 1
"""

# KEYS[1] the hash; ARGV[1] now. One message from the open grant with messages left that ends
# first (the short event grant before the 48-hour one); 0 when none had any.
_SENT = """
local best, best_until = nil, nil
for _, scene in ipairs({'event', 'message'}) do
  local u = tonumber(redis.call('HGET', KEYS[1], scene .. '_until') or '0')
  local l = tonumber(redis.call('HGET', KEYS[1], scene .. '_left') or '0')
  if u > tonumber(ARGV[1]) and l > 0 and (best_until == nil or u < best_until) then
    best, best_until = scene, u
  end
end
if best == nil then return 0 end
redis.call('HINCRBY', KEYS[1], best .. '_left', -1)
return 1
"""


def record_inbound(client: redis.Redis, openid: str, scene: str, at: datetime) -> None:
    """The resident did something that opens a grant of ``scene`` (:func:`scene_of`) at ``at``."""
    seconds, quota = GRANTS[scene]
    until = _epoch(at) + seconds
    client.eval(_INBOUND, 1, _key(openid), scene, repr(until), quota)


def record_sent(client: redis.Redis, openid: str, at: datetime) -> bool:
    """WeChat took a customer-service message (or may have): one fewer left. False when the record
    had none left (WeChat knew of a grant the platform did not)."""
    return bool(client.eval(_SENT, 1, _key(openid), _epoch(at)))


def record_refused(client: redis.Redis, openid: str, errcode: int) -> None:
    """WeChat refused a customer-service message: 45015 closes every grant, 45047 uses them up."""
    if errcode == WINDOW_CLOSED:
        client.delete(_key(openid))
    elif errcode == QUOTA_USED:
        client.hset(_key(openid), mapping={f"{MESSAGE}_left": 0, f"{EVENT}_left": 0})


def record_closed(client: redis.Redis, openid: str) -> None:
    """The resident unfollowed: no customer-service message reaches them (45015)."""
    client.delete(_key(openid))


def allowance(client: redis.Redis, openid: str, now: datetime, pending: int = 0) -> Allowance:
    """What may still be sent to ``openid`` at ``now``, ``pending`` messages already on their way."""
    raw = {(k.decode() if isinstance(k, bytes) else k): v for k, v in client.hgetall(_key(openid)).items()}
    at = _epoch(now)
    last, left = None, 0
    for scene in GRANTS:
        until = float(raw.get(f"{scene}_until", 0) or 0)
        if until > at:
            last = max(last or until, until)
            left += max(0, int(raw.get(f"{scene}_left", 0) or 0))
    if last is None:
        return Allowance(None, 0)
    return Allowance(datetime.fromtimestamp(last, timezone.utc), max(0, left - pending))


def pending(sess: Session, openid: str) -> int:
    """Customer-service texts to ``openid`` written and not yet answered by WeChat."""
    m = OutboundMessage
    return int(
        sess.scalar(
            select(func.count())
            .select_from(m)
            .where(m.recipient == openid, m.channel == "wechat", m.kind == "text", m.status.in_(PENDING))
        )
        or 0
    )
