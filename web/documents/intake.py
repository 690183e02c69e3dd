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
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

import redis
from sqlalchemy.orm import Session, sessionmaker

from common.backoffice_client import BackofficeUnavailable
from web.conversations.models import Conversation, Message
from web.conversations.router import Inbound, resident_line
from web.documents import checks, status
from web.documents.missing import RESUME, Verify
from web.documents.models import Document
from web.documents.requirements import (
    ApplicationRef,
    DocumentKind,
    OpenApplication,
    Source,
    distinct,
    groups,
    joined,
)
from web.documents.scan import Scanner
from web.documents.storage import Store, new_key
from web.texts.choices import parse_number

log = logging.getLogger(__name__)

Reply = Callable[[Session, Conversation], str]
"""A reply written for the conversation it goes to (the link to 实名认证 is signed for it)."""

QUESTION_TTL = 24 * 3600  # an unanswered "which document is it?" is forgotten after a day
TEXTS = {
    "no_application": "您现在没有正在办理、需要交材料的申请，这张照片我们没有保存。"
    "要办新的申请，直接跟我说就行，比如“我想申请低保”；申请交上去以后，再把材料拍照发给我。",
    "not_verified": "这张照片我们没有保存：您还没有实名认证，我查不到您的申请。",  # and the link to verify
    "unavailable": "照片收到了，但系统这会儿查不到您的申请，这张照片没有保存。请过几分钟再发一次，谢谢您。",
    "download_failed": "这张照片没有接收成功，请您再发一次。",
    "ask": "照片收到了。请问这是哪份材料？回复数字就行：",
    "queued": "这张照片也收到了。等您告诉我上一张是哪份材料，我再问这一张。",
    "next": "下一张照片是哪份材料？回复数字就行：",
    "attached": "收到了，{kind}已经放进您的{title}。",
    "missing": "还差：{names}。可以接着拍照发过来。",
    "complete": "这份申请要的材料都齐了，工作人员会尽快看，请您耐心等等。",
    "complete_several": "这几份申请要的材料都齐了，工作人员会尽快看，请您耐心等等。",
}


@dataclass(frozen=True)
class Option:
    """One answer to the question: this document kind, for that application (and for ``also``, the
    other applications of its group that need it: one photo serves them all)."""

    kind: str
    kind_name: str
    app_kind: str
    app_id: str
    app_title: str
    also: tuple[tuple[str, str, str], ...] = ()  # (kind, id, title) of each other application
    group: str = ""  # the group of applications it is asked for (web/documents/requirements.py)

    @classmethod
    def of(cls, targets: Sequence[OpenApplication], kind: DocumentKind) -> Option:
        first, rest = targets[0], targets[1:]
        also = tuple((a.ref.kind, a.ref.id, a.title) for a in rest)
        return cls(kind.code, kind.name, first.ref.kind, first.ref.id, first.title, also, "|".join(first.group))

    @classmethod
    def load(cls, data: dict) -> Option:
        """From the JSON of a question kept in Redis."""
        return cls(**{**data, "also": tuple(tuple(a) for a in data.get("also") or ())})

    @property
    def targets(self) -> tuple[tuple[str, str, str], ...]:
        return ((self.app_kind, self.app_id, self.app_title), *self.also)

    @property
    def title(self) -> str:
        """The applications it goes to: 低保申请（JZ…）, or 困难残疾人生活补贴申请（CJ…）和重度残疾人护理补贴申请（CJ…）."""
        return joined([title for _, _, title in self.targets])


class Intake:
    too_large = checks.REFUSALS["too_large"]

    def __init__(
        self,
        sessions: sessionmaker,
        store: Store,
        client: redis.Redis,
        sources: Sequence[Source],
        max_bytes: int,
        verified: Callable[[str], bool],
        verify: Verify,
        scanner: Scanner | None = None,
    ) -> None:
        """``verified`` tells whether a sender is verified (实名认证: without it no application can be found);
        ``verify`` is the link to verify, as text (the identity side effect, as :class:`MissingDocuments` has)."""
        self.sessions, self.store, self.redis, self.sources = sessions, store, client, tuple(sources)
        self.max_bytes, self.scanner = max_bytes, scanner
        self.verified, self.verify = verified, verify

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
            bound = bool(apps) or self.verified(sender_id)
        except BackofficeUnavailable:
            return self._record(channel, sender_id, "[图片，未保存：查不到申请]", TEXTS["unavailable"])
        if not bound:  # no application can be found before 实名认证: say so, with the link
            return self._record(channel, sender_id, "[图片，未保存：未实名认证]", self._ask_to_verify)
        if not apps:
            return self._record(channel, sender_id, "[图片，未保存：没有申请]", TEXTS["no_application"])
        with self.sessions() as sess:
            options = _options(sess, apps)
        key = new_key(checked.extension)
        made = [key]  # the files this photo was stored as: deleted again if its transaction fails
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
                        sess, channel, sender_id, "[图片]", self._attach(sess, doc, options[0], apps, made), doc.id
                    )
                waiting = self.redis.rpush(_question_key(sender_id), _question(doc.id, options))
                self.redis.expire(_question_key(sender_id), QUESTION_TTL)
                asked_again = self.redis.delete(_aside_key(sender_id))  # after a digression the question is put again
                reply = TEXTS["queued"]  # several photos at once: asked about in turn
                if waiting == 1 or asked_again:
                    head = json.loads(self.redis.lindex(_question_key(sender_id), 0))
                    reply = _ask([Option.load(o) for o in head["options"]])
                return self._lines(sess, channel, sender_id, "[图片]", reply, doc.id)
        except BaseException:
            for stored in made:  # no row points at them
                self.store.delete(stored)
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
        picked = _pick([Option.load(o) for o in question["options"]], text, numbers=not aside)
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
        made: list[str] = []  # the copies for the other applications of its group
        try:
            with self.sessions.begin() as sess:
                doc = sess.get(Document, question["document"])
                if doc is None or doc.sender_id != sender_id or doc.kind is not None:
                    return None
                reply = self._attach(sess, doc, picked, apps, made) + self._next_question(sess, sender_id, apps)
                return self._lines(sess, channel, sender_id, text, reply, doc.id)
        except BaseException:
            for stored in made:
                self.store.delete(stored)
            raise

    def _next_question(self, sess: Session, sender_id: str, apps: list[OpenApplication]) -> str:
        """The question of the next photo waiting, asked with what is missing now ("" if none waits)."""
        raw = self.redis.lindex(_question_key(sender_id), 0)
        if raw is None:
            return ""
        question = json.loads(raw)
        self.redis.delete(_aside_key(sender_id))  # asked now: a number answers it
        options = _options(sess, apps) if apps else [Option.load(o) for o in question["options"]]
        self.redis.lset(_question_key(sender_id), 0, _question(question["document"], options))
        return "\n\n" + TEXTS["next"] + _ask(options)[len(TEXTS["ask"]) :]

    # -- helpers --------------------------------------------------------------------------
    def _open_applications(self, sender_id: str) -> list[OpenApplication]:
        return [app for source in self.sources for app in source.open_for(sender_id)]

    def _attach(
        self, sess: Session, doc: Document, option: Option, apps: list[OpenApplication], made: list[str]
    ) -> str:
        """Attach ``doc`` as ``option`` (a copy of the file to each other application it serves, so that
        every case keeps its own; their keys added to ``made``); what the resident is told, with what is
        still missing."""
        copies = [doc] + [self._copy(sess, doc, made) for _ in option.also]
        now = datetime.now()
        for row, (app_kind, app_id, app_title) in zip(copies, option.targets, strict=True):
            row.application_kind, row.application_id, row.application_title = app_kind, app_id, app_title
            row.kind, row.kind_name, row.attached_at = option.kind, option.kind_name, now
        sess.flush()
        reply = TEXTS["attached"].format(kind=option.kind_name, title=option.title)
        first = next((a for a in apps if a.ref == ApplicationRef(option.app_kind, option.app_id)), None)
        if first is not None:
            group = [a for a in apps if a.group == first.group]
            missing = distinct(status.status(sess, a).missing for a in group)
            if missing:
                reply += TEXTS["missing"].format(names="、".join(k.name for k in missing))
            else:
                reply += TEXTS["complete"] if len(group) == 1 else TEXTS["complete_several"]
        log.info("document attached", extra={"document": doc.id, "application_kind": option.app_kind})
        return reply

    def _copy(self, sess: Session, doc: Document, made: list[str]) -> Document:
        """The same file under a key of its own, for another application (deleted with its own row)."""
        key = new_key(doc.storage_key.rsplit(".", 1)[-1])
        self.store.put(key, self.store.get(doc.storage_key), doc.content_type)
        made.append(key)
        copy = Document(
            sender_id=doc.sender_id,
            channel=doc.channel,
            storage_key=key,
            content_type=doc.content_type,
            size=doc.size,
            sha256=doc.sha256,
            scan=doc.scan,
            created_at=doc.created_at,
        )
        sess.add(copy)
        return copy

    def _ask_to_verify(self, sess: Session, conv: Conversation) -> str:
        """Not verified: why the photo was not kept, and the link (once verified, "还缺什么材料" is answered)."""
        return TEXTS["not_verified"] + "\n\n" + self.verify(sess, conv, dict(RESUME))

    def _record(self, channel: str, sender_id: str, said: str, reply: str | Reply) -> str:
        with self.sessions.begin() as sess:
            return self._lines(sess, channel, sender_id, said, reply, None)

    @staticmethod
    def _lines(sess: Session, channel: str, sender_id: str, said: str, reply: str | Reply, document: int | None) -> str:
        """Record the resident's line and the reply (written for the conversation when it is a :data:`Reply`)."""
        meta = {"document": document} if document else {}
        conv, _ = resident_line(sess, Inbound(channel, sender_id, said), meta)
        text = reply if isinstance(reply, str) else reply(sess, conv)
        sess.add(Message(conversation_id=conv.id, author="bot", text=text, meta=meta))
        return text


def _question_key(sender_id: str) -> str:
    """The photos waiting for "which document is it?", oldest first."""
    return f"documents:questions:{sender_id}"


def _aside_key(sender_id: str) -> str:
    """Set while the resident has talked of something else since the question was asked."""
    return f"documents:aside:{sender_id}"


def _question(document: int, options: list[Option]) -> str:
    return json.dumps({"document": document, "options": [asdict(o) for o in options]}, ensure_ascii=False)


def _ask(options: list[Option]) -> str:
    single = len({o.group or o.app_id for o in options}) == 1
    lines = [f"{n}. {o.kind_name}" + ("" if single else f"（{o.title}）") for n, o in enumerate(options, 1)]
    return "\n".join([TEXTS["ask"], *lines])


def _options(sess: Session, apps: list[OpenApplication]) -> list[Option]:
    """The kinds still missing in each group of applications (one person's cases share a photo), each
    for the applications that miss it; a group with nothing missing offers all its kinds (a clearer
    photo of one already sent), each for every application that needs it."""
    options: list[Option] = []
    for group in groups(apps):
        missing = {a.ref: {k.code for k in status.status(sess, a).missing} for a in group}
        wanted = distinct([k for k in a.required if k.code in missing[a.ref]] for a in group)
        if wanted:
            options += [Option.of([a for a in group if kind.code in missing[a.ref]], kind) for kind in wanted]
        else:
            kinds = distinct(a.required for a in group)
            options += [Option.of([a for a in group if kind in a.required], kind) for kind in kinds]
    return options


def _pick(options: list[Option], text: str, numbers: bool = True) -> Option | None:
    number = parse_number(text)
    if number is not None:
        return options[number - 1] if numbers and 1 <= number <= len(options) else None
    named = [o for o in options if any(word in text for word in _names_of(o.kind_name))]
    return named[0] if len({(o.kind, o.app_id) for o in named}) == 1 else None


def _names_of(kind_name: str) -> list[str]:
    """What a resident may call a kind: its name without the explanation in brackets, or one of the
    alternatives it lists (银行卡或社保卡 → 银行卡, 社保卡)."""
    short = kind_name.split("（")[0]
    return [short, *(word for word in re.split("[或、]", short) if len(word) >= 2 and word != short)]
