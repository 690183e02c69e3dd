"""What an application asks for: the small generic API every domain plugs into.

An application is named by an :class:`ApplicationRef` (its kind, e.g. ``assistance``, and its id
in that domain, e.g. the case number). A :class:`Source` lists a resident's applications that are
still open for documents, each with the document kinds it requires (from the back-office: every
domain's application JSON carries ``required_documents: [{kind, name}]``, backoffice/documents.py).
A new domain adds one Source and hands it to ``Intake`` in web/services.py; nothing else here changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from common.backoffice_client import BackofficeClient, BackofficeError


@dataclass(frozen=True)
class ApplicationRef:
    kind: str  # the domain: assistance, funeral, disability, …
    id: str  # the application's id in that domain (a case number)


@dataclass(frozen=True)
class DocumentKind:
    code: str  # hukou
    name: str  # 户口本


@dataclass(frozen=True)
class OpenApplication:
    ref: ApplicationRef
    title: str  # how the bot names it: 低保申请（JZ2026112300012）
    required: tuple[DocumentKind, ...]
    person: str = ""  # whom its documents are about, when one source's applications share a person (两项补贴)

    @property
    def group(self) -> tuple[str, str]:
        """Applications of one group take one photo of a kind they both need: the same person's cases
        (both subsidies of 两项补贴, both funeral benefits of one deceased); otherwise each is its own."""
        return (self.ref.kind, self.person) if self.person else (self.ref.kind, "#" + self.ref.id)


class Source(Protocol):
    def open_for(self, sender_id: str) -> list[OpenApplication]:
        """The resident's applications that still take documents (none when they are not verified).
        :class:`common.backoffice_client.BackofficeUnavailable` when it cannot be known now."""
        ...


def verified(backoffice: BackofficeClient, sender_id: str) -> bool:
    """Whether the sender is bound to a resident (实名认证), so that "no open application" means none, not
    "not known"; :class:`common.backoffice_client.BackofficeUnavailable` when it cannot be known now."""
    try:
        backoffice.get(f"/identity/bindings/{quote(sender_id, safe='')}")
    except BackofficeError as exc:
        if exc.status == 404:
            return False
        raise
    return True


def groups(apps: Iterable[OpenApplication]) -> list[list[OpenApplication]]:
    """``apps`` by :attr:`OpenApplication.group`, in the order first met."""
    found: dict[tuple[str, str], list[OpenApplication]] = {}
    for app in apps:
        found.setdefault(app.group, []).append(app)
    return list(found.values())


def distinct(kinds: Iterable[Iterable[DocumentKind]]) -> list[DocumentKind]:
    """Each kind once (by code), in the order first met."""
    seen: dict[str, DocumentKind] = {}
    for some in kinds:
        for kind in some:
            seen.setdefault(kind.code, kind)
    return list(seen.values())


def joined(titles: list[str]) -> str:
    """Several applications named at once: 困难残疾人生活补贴申请（CJ…）和重度残疾人护理补贴申请（CJ…）."""
    return "和".join(titles) if len(titles) == 2 else "、".join(titles)


def required_kinds(application: dict[str, Any]) -> tuple[DocumentKind, ...]:
    """The back-office's ``required_documents`` of an application JSON."""
    return tuple(DocumentKind(str(d["kind"]), str(d["name"])) for d in application.get("required_documents") or [])


class AssistanceApplications:
    """Social assistance applications (backoffice/assistance), open until decided."""

    KIND = "assistance"
    CLOSED = frozenset({"发放", "不予批准"})  # approved and paying, or refused: nothing more to send

    def __init__(self, backoffice: BackofficeClient) -> None:
        self.backoffice = backoffice

    def open_for(self, sender_id: str) -> list[OpenApplication]:
        try:
            found = self.backoffice.get("/assistance/applications", openid=sender_id)["applications"]
        except BackofficeError as exc:
            if exc.status == 404:  # not_bound: a resident not verified has no application to send to
                return []
            raise
        return [
            OpenApplication(
                ApplicationRef(self.KIND, app["case_no"]), f"{app['type']}申请（{app['case_no']}）", required_kinds(app)
            )
            for app in found
            if app.get("status") not in self.CLOSED and app.get("required_documents")
        ]


class BenefitApplications:
    """Funeral benefits and 残疾人两项补贴 (backoffice/benefits: one application table for both), open
    until paid or refused. A resident applies for both subsidies of 两项补贴 (or both funeral benefits)
    in one go, so the cases of one person (``subject.ref``) share their photos."""

    TOPICS = {  # the back-office's programme → the domain that names the application
        "funeral_waiver": "funeral",
        "eco_burial": "funeral",
        "disability_living": "disability",
        "disability_care": "disability",
    }
    CLOSED = frozenset({"发放", "不予批准"})

    def __init__(self, backoffice: BackofficeClient) -> None:
        self.backoffice = backoffice

    def open_for(self, sender_id: str) -> list[OpenApplication]:
        try:
            found = self.backoffice.get("/benefits/applications", openid=sender_id)["applications"]
        except BackofficeError as exc:
            if exc.status == 404:  # not_bound
                return []
            raise
        return [
            OpenApplication(
                ApplicationRef(self.TOPICS[app["programme"]], app["case_no"]),
                f"{app['title']}申请（{app['case_no']}）",
                required_kinds(app),
                person=str(app["subject"].get("ref") or ""),
            )
            for app in reversed(found)  # oldest first, as the resident applied
            if app.get("programme") in self.TOPICS
            and app.get("status") not in self.CLOSED
            and app.get("required_documents")
        ]
