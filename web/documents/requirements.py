"""What an application asks for: the small generic API every domain plugs into.

An application is named by an :class:`ApplicationRef` (its kind, e.g. ``assistance``, and its id
in that domain, e.g. the case number). A :class:`Source` lists a resident's applications that are
still open for documents, each with the document kinds it requires (from the back-office: every
domain's application JSON carries ``required_documents: [{kind, name}]``, backoffice/documents.py).
A new domain (funeral, disability, …) adds one Source and hands it to ``Intake`` in
web/services.py; nothing else here changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

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


class Source(Protocol):
    def open_for(self, sender_id: str) -> list[OpenApplication]:
        """The resident's applications that still take documents (none when they are not verified).
        :class:`common.backoffice_client.BackofficeUnavailable` when it cannot be known now."""
        ...


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
