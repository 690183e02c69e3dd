"""The one place that delivers messages to a resident outside a request.

``Outbound.deliver(sender_id, messages, reason)`` is what the WeChat channel (slow
replies), the handoff console (agent replies), the campaigns and the outbox call.
A conversation's sender id says the channel: ``web:<id>`` is the web chat (its
mailbox, read by the chat page: the rows themselves, web/outbound/mailbox.py), anything else is a WeChat openid (the
customer-service API, from a Celery task, in order). Every message is recorded in
``outbound_message`` before it leaves and updated with its result. When the broker (Redis)
cannot take the task, the message stays ``queued`` and is sent by the sweep once it can
(``web/outbound/sweep.py``): the caller is not failed for it. A caller whose own write
must go with the messages (the outbox's "told" mark) uses ``record`` in its transaction
and ``dispatch`` after the commit; ``deliver`` is the two in a row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import redis
from kombu.exceptions import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from web.outbound.models import OutboundMessage
from web.rasa_client import BotMessage, Button
from web.texts import wechat_text
from web.texts.choices import Choices
from web.wechat_api import RuleBroken
from web.wechat_api.rules import template_problems

log = logging.getLogger(__name__)

WEB_PREFIX = "web:"


# Reasons of messages the resident did not ask for: never a template message (WeChat's rules of
# 2023-05-04 keep templates for services the resident triggered; cold pushes go as subscription
# notices to residents who opted in, web/subscriptions/).
COLD_PUSH_REASONS = frozenset({"campaign"})


class TemplateRefused(RuleBroken):
    """A template message the platform does not send (a cold push, or content WeChat no longer shows)."""


@dataclass(frozen=True)
class Template:
    """A WeChat template message: only for a service the resident triggered (a reply they are owed
    when the 48-hour window is closed, their own application's progress), with WeChat's field rules
    (web/wechat_api/rules.py). Cold pushes are subscription notices (web/subscriptions/)."""

    template_id: str
    data: dict[str, Any] = field(default_factory=dict)
    url: str | None = None


@dataclass(frozen=True)
class Recorded:
    """Messages written in a transaction, waiting for its commit to be dispatched."""

    sender_id: str
    ids: list[int]
    buttons: tuple[Button, ...] = ()
    fallback: dict[str, Any] | None = None
    web_bodies: tuple[dict[str, Any], ...] = ()  # a web chat's lines, for a live channel (Socket.IO)


def check_template(template: Template, reason: str) -> None:
    """Refuse a template message WeChat's rules forbid, before anything is written."""
    problems = template_problems(template.data)
    if reason in COLD_PUSH_REASONS:
        problems.insert(0, "模板消息只能用于居民自己办理的事项；政策推送请用订阅通知，发给已订阅的居民")
    if problems:
        raise TemplateRefused(problems)


Enqueue = Callable[[str, list[Any]], None]  # task name, arguments (web/services.py gives the Celery app's)
Live = Callable[[str, list[dict[str, Any]]], None]
"""Shows a web chat's committed mailbox lines at once where the resident is connected (a Socket.IO
session: web/channels/socketio_channel.live_emitter); the mailbox stays the record either way."""


class Outbound:
    def __init__(self, sessions: sessionmaker, client: redis.Redis, enqueue: Enqueue, live: Live | None = None) -> None:
        self.sessions, self.enqueue, self.live = sessions, enqueue, live
        self.choices = Choices(client)

    def deliver(
        self,
        sender_id: str,
        messages: Sequence[BotMessage],
        reason: str,
        fallback: Template | None = None,
        ref: str | None = None,
    ) -> list[int]:
        """Send ``messages`` to the resident, in order; returns the ``outbound_message`` ids."""
        if fallback is not None:
            check_template(fallback, reason)
        with self.sessions.begin() as sess:
            recorded = self.record(sess, sender_id, messages, reason, fallback, ref)
        return self.dispatch(recorded)

    def record(
        self,
        sess: Session,
        sender_id: str,
        messages: Sequence[BotMessage],
        reason: str,
        fallback: Template | None = None,
        ref: str | None = None,
    ) -> Recorded:
        """Write the messages in the caller's transaction; ``dispatch`` them once it has committed.

        A caller that marks something as told (a claim) writes the messages in the same
        transaction, so a process dying after the commit leaves ``queued`` rows for the sweep
        instead of a claim with nothing sent.
        """
        web = sender_id.startswith(WEB_PREFIX)
        if web:
            rows = [
                OutboundMessage(
                    channel="web",
                    recipient=sender_id,
                    kind="text",
                    reason=reason,
                    ref=ref,
                    body=message.to_rest(sender_id[len(WEB_PREFIX) :]),
                    status="delivered",
                    attempts=1,
                    sent_at=datetime.now(),
                )
                for message in messages
            ]
        else:
            rows = [
                OutboundMessage(
                    channel="wechat",
                    recipient=sender_id,
                    kind="text",
                    reason=reason,
                    ref=ref,
                    body={"content": text},
                    status="queued",
                )
                for text in wechat_text.render_turn(messages)
            ]
        sess.add_all(rows)
        sess.flush()
        ids = [row.id for row in rows]
        if not ids:
            return Recorded(sender_id, ids)
        bodies = tuple(dict(row.body) for row in rows) if web else ()
        return Recorded(
            sender_id, ids, wechat_text.last_buttons(messages), asdict(fallback) if fallback else None, bodies
        )

    def dispatch(self, recorded: Recorded) -> list[int]:
        """Hand committed WeChat rows to the sender task (web chat rows are already in the mailbox); in
        both channels a number typed next picks one of the buttons sent."""
        if not recorded.ids:
            return recorded.ids
        try:
            if recorded.buttons:
                self.choices.remember(recorded.sender_id, recorded.buttons)
        except redis.RedisError:  # the choices still show; a reply of "2" is read as words until Redis is back
            log.warning("choices not remembered, redis unavailable", extra={"outbound_ids": recorded.ids})
        if recorded.sender_id.startswith(WEB_PREFIX):
            if self.live is not None:
                try:
                    self.live(recorded.sender_id, list(recorded.web_bodies))
                except redis.RedisError:  # the lines are in the mailbox; a connected widget misses them live
                    log.warning(
                        "web chat lines not shown live, redis unavailable", extra={"outbound_ids": recorded.ids}
                    )
            return recorded.ids
        self._queue("wechat.send_texts", [recorded.ids, recorded.fallback], recorded.ids)
        return recorded.ids

    def send_template(self, openid: str, template: Template, reason: str, ref: str | None = None) -> int:
        """A template message through a Celery task; its receipt arrives later by TEMPLATESENDJOBFINISH.
        A cold push or content against WeChat's template rules raises :class:`TemplateRefused`, unrecorded."""
        check_template(template, reason)
        with self.sessions.begin() as sess:
            row = OutboundMessage(
                channel="wechat",
                recipient=openid,
                kind="template",
                reason=reason,
                ref=ref,
                body=asdict(template),
                status="queued",
            )
            sess.add(row)
            sess.flush()
            row_id = row.id
        self._queue("wechat.send_template", [row_id], [row_id])
        return row_id

    def _queue(self, task: str, args: list[Any], ids: list[int]) -> None:
        try:
            self.enqueue(task, args)
        except (OperationalError, redis.RedisError):
            log.warning(
                "outbound task not queued, broker unavailable: the sweep sends it later",
                extra={"task": task, "outbound_ids": ids},
            )
