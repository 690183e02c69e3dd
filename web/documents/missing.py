"""The answer to "还缺什么材料" / "材料交齐了吗": the resident's open applications, what each has, what it
still needs, and how to send it.

The bot recognises the question (intent ``documents_missing``) and answers with a custom payload,
``{"documents": {"ask": "missing"}}``; the router hands it here as a side effect (web/services.py),
whose text is the bot's answer. The documents are the platform's data, which the action server cannot
read (docs/documents.md says why this is the seam). A resident with no application under way is told
what each kind of application asks for (the back-office's list); one not verified, how to verify.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from common.backoffice_client import BackofficeClient, BackofficeUnavailable
from web.conversations.models import Conversation
from web.documents import status
from web.documents.requirements import DocumentKind, OpenApplication, Source, distinct, groups, joined, verified

log = logging.getLogger(__name__)

Verify = Callable[[Session, Conversation, dict[str, Any]], str]
"""The identity side effect (web/identity/requests.ask_to_verify): the link to 实名认证, as text."""

# What the resident is sent once verified (intent syntax), and the errand in words.
RESUME = {"resume": "/documents_missing", "what": "查申请材料"}
TEXTS = {
    "unavailable": "系统这会儿查不到您的申请，请过几分钟再问我一次，谢谢您。",
    "application": "您的{title}：",
    "attached": "已经收到：{names}",
    "nothing_yet": "还没有收到材料",
    "missing": "还差：{names}",
    "complete": "要的材料都齐了，工作人员会尽快看，请您耐心等等。",
    "how": "还差的材料，用手机拍清楚，直接发照片给我就行，一次一张；我会问您是哪一份。",
    "no_application": "您现在没有正在办理、需要交材料的申请。",
    "programmes": "各项申请要交的材料是：",
    "start": "想办哪一项，直接跟我说，比如“我想申请低保”；申请交上去以后，把材料拍照发给我就行。"
    "婚姻登记要带的证件，您问我“结婚登记要带什么”。",
    "not_verified": "您还没有实名认证，我查不到您的申请。",
}


class MissingDocuments:
    """The ``documents`` side effect: ``{"ask": "missing"}`` → the answer, from the resident's open
    applications (``sources``, as :class:`web.documents.intake.Intake` reads them) and their documents."""

    def __init__(self, sources: Sequence[Source], backoffice: BackofficeClient, verify: Verify) -> None:
        self.sources, self.backoffice, self.verify = tuple(sources), backoffice, verify

    def __call__(self, sess: Session, conv: Conversation, request: dict[str, Any]) -> str:
        try:
            apps = [app for source in self.sources for app in source.open_for(conv.sender_id)]
            if apps:
                return self._status(sess, apps)
            bound = verified(self.backoffice, conv.sender_id)
            programmes = self._programmes()
        except BackofficeUnavailable:
            log.warning("documents: the back-office could not be asked", extra={"conversation": conv.id})
            return TEXTS["unavailable"]
        if not bound:
            return "\n\n".join([TEXTS["not_verified"], programmes, self.verify(sess, conv, dict(RESUME))])
        return "\n\n".join([TEXTS["no_application"], programmes, TEXTS["start"]])

    @staticmethod
    def _status(sess: Session, apps: list[OpenApplication]) -> str:
        blocks, anything_missing = [], False
        for group in groups(apps):
            found = [status.status(sess, app) for app in group]
            attached = distinct([DocumentKind(d.kind or "", d.kind_name) for d in s.attached if d.kind] for s in found)
            missing = distinct(s.missing for s in found)
            lines = [TEXTS["application"].format(title=joined([app.title for app in group]))]
            lines.append(TEXTS["attached"].format(names=_names(attached)) if attached else TEXTS["nothing_yet"])
            lines.append(TEXTS["missing"].format(names=_names(missing)) if missing else TEXTS["complete"])
            anything_missing |= bool(missing)
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks + ([TEXTS["how"]] if anything_missing else []))

    def _programmes(self) -> str:
        found = self.backoffice.get("/documents/programmes")["programmes"]
        lines = [
            f"· {p['title']}：{_names(DocumentKind(d['kind'], d['name']) for d in p['required_documents'])}"
            for p in found
        ]
        return "\n".join([TEXTS["programmes"], *lines])


def _names(kinds: Iterable[DocumentKind]) -> str:
    return "、".join(kind.name for kind in kinds)
