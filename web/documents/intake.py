"""What a channel calls with a resident's photo, and with their answer to "which document is it?".

A photo is checked (checks.py), then matched to the resident's open applications (requirements.py):
one document still missing in one application → attached at once; several → kept unsorted and the
resident is asked with numbered choices, and their number (or the document's name) attaches it.
Every answer ends with what is still missing. Both lines go into the conversation's transcript, so
the agent sees them; the bot (Rasa) is not asked, since the documents are the platform's data and
the action server cannot read them (docs/documents.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

import redis
from sqlalchemy.orm import Session, sessionmaker

from common.backoffice_client import BackofficeUnavailable
from web.conversations.models import Message
from web.conversations.router import Inbound, resident_line
from web.documents import checks, status
from web.documents.models import Document
from web.documents.requirements import ApplicationRef, DocumentKind, OpenApplication, Source
from web.documents.scan import Scanner
from web.documents.storage import Store, new_key
from web.texts.choices import parse_number

log = logging.getLogger(__name__)

QUESTION_TTL = 24 * 3600  # an unanswered "which document is it?" is forgotten after a day
TEXTS = {
    "no_application": "您现在没有正在办理、需要交材料的申请，这张照片我们没有保存。"
    "如果您已经申请过，请先完成实名认证；要办新的申请，可以直接跟我说，比如“我想申请低保”。",
    "unavailable": "照片收到了，但系统这会儿查不到您的申请，这张照片没有保存。请过几分钟再发一次，谢谢您。",
    "download_failed": "这张照片没有接收成功，请您再发一次。",
    "ask": "照片收到了。请问这是哪份材料？回复数字就行：",
    "queued": "这张照片也收到了。等您告诉我上一张是哪份材料，我再问这一张。",
    "next": "下一张照片是哪份材料？回复数字就行：",
    "attached": "收到了，{kind}已经放进您的{title}。",
    "missing": "还差：{names}。可以接着拍照发过来。",
    "complete": "这份申请要的材料都齐了，工作人员会尽快看，请您耐心等等。",
}


@dataclass(frozen=True)
class Option:
    """One answer to the question: this document kind, for that application."""

    kind: str
    kind_name: str
    app_kind: str
    app_id: str
    app_title: str

    @classmethod
    def of(cls, app: OpenApplication, kind: DocumentKind) -> Option:
        return cls(kind.code, kind.name, app.ref.kind, app.ref.id, app.title)


class Intake:
    too_large = checks.REFUSALS["too_large"]

    def __init__(
        self,
        sessions: sessionmaker,
        store: Store,
        client: redis.Redis,
        sources: Sequence[Source],
        max_bytes: int,
        scanner: Scanner | None = None,
    ) -> None:
        self.sessions, self.store, self.redis, self.sources = sessions, store, client, tuple(sources)
        self.max_bytes, self.scanner = max_bytes, scanner

    # -- a photo --------------------------------------------------------------------------
    def photo(self, channel: str, sender_id: str, data: bytes) -> str:
        """Check, store and attach (or ask); the reply, recorded with the resident's line."""
        try:
            checked = checks.check(data, self.max_bytes, self.scanner)
        except checks.Refused as refused:
            log.info("document refused", extra={"reason": refused.code, "channel": channel})
            return self._record(channel, sender_id, f"[文件，未保存：{refused.code}]", refused.message)
        try:
            apps = self._open_applications(sender_id)
        except BackofficeUnavailable:
            return self._record(channel, sender_id, "[图片，未保存：查不到申请]", TEXTS["unavailable"])
        if not apps:
            return self._record(channel, sender_id, "[图片，未保存：没有申请]", TEXTS["no_application"])
        with self.sessions() as sess:
            options = _options(sess, apps)
        key = new_key(checked.extension)
        self.store.put(key, data, checked.content_type)
        try:
            with self.sessions.begin() as sess:
                doc = Document(
                    sender_id=sender_id,
                    channel=channel,
                    storage_key=key,
                    content_type=checked.content_type,
                    size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    scan=checked.scan,
                )
                sess.add(doc)
                sess.flush()
                if len(options) == 1 and not self.redis.llen(_question_key(sender_id)):  # none waits before it
                    return self._lines(
                        sess, channel, sender_id, "[图片]", self._attach(sess, doc, options[0], apps), doc.id
                    )
                waiting = self.redis.rpush(_question_key(sender_id), _question(doc.id, options))
                self.redis.expire(_question_key(sender_id), QUESTION_TTL)
                asked_again = self.redis.delete(_aside_key(sender_id))  # after a digression the question is put again
                reply = TEXTS["queued"]  # several photos at once: asked about in turn
                if waiting == 1 or asked_again:
                    head = json.loads(self.redis.lindex(_question_key(sender_id), 0))
                    reply = _ask([Option(**o) for o in head["options"]])
                return self._lines(sess, channel, sender_id, "[图片]", reply, doc.id)
        except BaseException:
            self.store.delete(key)  # no row points at it
            raise

    def download_failed(self, channel: str, sender_id: str) -> str:
        return self._record(channel, sender_id, "[图片，未收到]", TEXTS["download_failed"])

    # -- the answer to "which document is it?" --------------------------------------------
    def answer(self, channel: str, sender_id: str, text: str) -> str | None:
        """The reply when ``text`` answers the oldest question still open (a number, or a document's
        name), with the next photo's question if another waits; None when there is no question or
        this is not an answer (the message goes to the bot)."""
        raw = self.redis.lindex(_question_key(sender_id), 0)
        if raw is None:
            return None
        question = json.loads(raw)
        aside = bool(self.redis.exists(_aside_key(sender_id)))
        picked = _pick([Option(**o) for o in question["options"]], text, numbers=not aside)
        if picked is None:
            # The resident talks of something else: from now on a bare number answers the bot's own
            # choices, not this question; a document's name still answers it, and so does a number
            # once the question is asked again (the next photo).
            self.redis.set(_aside_key(sender_id), 1, ex=QUESTION_TTL)
            return None
        self.redis.lpop(_question_key(sender_id))
        try:
            apps = self._open_applications(sender_id)
        except BackofficeUnavailable:
            apps = []
        with self.sessions.begin() as sess:
            doc = sess.get(Document, question["document"])
            if doc is None or doc.sender_id != sender_id or doc.kind is not None:
                return None
            reply = self._attach(sess, doc, picked, apps) + self._next_question(sess, sender_id, apps)
            return self._lines(sess, channel, sender_id, text, reply, doc.id)

    def _next_question(self, sess: Session, sender_id: str, apps: list[OpenApplication]) -> str:
        """The question of the next photo waiting, asked with what is missing now ("" if none waits)."""
        raw = self.redis.lindex(_question_key(sender_id), 0)
        if raw is None:
            return ""
        question = json.loads(raw)
        self.redis.delete(_aside_key(sender_id))  # asked now: a number answers it
        options = _options(sess, apps) if apps else [Option(**o) for o in question["options"]]
        self.redis.lset(_question_key(sender_id), 0, _question(question["document"], options))
        return "\n\n" + TEXTS["next"] + _ask(options)[len(TEXTS["ask"]) :]

    # -- helpers --------------------------------------------------------------------------
    def _open_applications(self, sender_id: str) -> list[OpenApplication]:
        return [app for source in self.sources for app in source.open_for(sender_id)]

    @staticmethod
    def _attach(sess: Session, doc: Document, option: Option, apps: list[OpenApplication]) -> str:
        """Attach ``doc`` as ``option``; what the resident is told (with what is still missing)."""
        doc.application_kind, doc.application_id, doc.application_title = (
            option.app_kind,
            option.app_id,
            option.app_title,
        )
        doc.kind, doc.kind_name, doc.attached_at = option.kind, option.kind_name, datetime.now()
        sess.flush()
        reply = TEXTS["attached"].format(kind=option.kind_name, title=option.app_title)
        app = next((a for a in apps if a.ref == ApplicationRef(option.app_kind, option.app_id)), None)
        if app is not None:
            missing = status.status(sess, app).missing
            reply += TEXTS["missing"].format(names="、".join(k.name for k in missing)) if missing else TEXTS["complete"]
        log.info("document attached", extra={"document": doc.id, "application_kind": option.app_kind})
        return reply

    def _record(self, channel: str, sender_id: str, said: str, reply: str) -> str:
        with self.sessions.begin() as sess:
            return self._lines(sess, channel, sender_id, said, reply, None)

    @staticmethod
    def _lines(sess: Session, channel: str, sender_id: str, said: str, reply: str, document: int | None) -> str:
        meta = {"document": document} if document else {}
        conv, _ = resident_line(sess, Inbound(channel, sender_id, said), meta)
        sess.add(Message(conversation_id=conv.id, author="bot", text=reply, meta=meta))
        return reply


def _question_key(sender_id: str) -> str:
    """The photos waiting for "which document is it?", oldest first."""
    return f"documents:questions:{sender_id}"


def _aside_key(sender_id: str) -> str:
    """Set while the resident has talked of something else since the question was asked."""
    return f"documents:aside:{sender_id}"


def _question(document: int, options: list[Option]) -> str:
    return json.dumps({"document": document, "options": [asdict(o) for o in options]}, ensure_ascii=False)


def _ask(options: list[Option]) -> str:
    single = len({(o.app_kind, o.app_id) for o in options}) == 1
    lines = [f"{n}. {o.kind_name}" + ("" if single else f"（{o.app_title}）") for n, o in enumerate(options, 1)]
    return "\n".join([TEXTS["ask"], *lines])


def _options(sess: Session, apps: list[OpenApplication]) -> list[Option]:
    """The kinds still missing in each application; an application with nothing missing offers
    all its kinds (a clearer photo of one already sent)."""
    options: list[Option] = []
    for app in apps:
        kinds = status.status(sess, app).missing or app.required
        options += [Option.of(app, kind) for kind in kinds]
    return options


def _pick(options: list[Option], text: str, numbers: bool = True) -> Option | None:
    number = parse_number(text)
    if number is not None:
        return options[number - 1] if numbers and 1 <= number <= len(options) else None
    named = [o for o in options if o.kind_name.split("（")[0] in text]
    return named[0] if len({(o.kind, o.app_id) for o in named}) == 1 else None
