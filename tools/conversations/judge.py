"""Whether a conversation did what it was for, read from the system rather than from the bot's words:
appointments and applications in the back-office, handoff tickets in the platform, and how often the
bot asked the same question.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, func, select

from backoffice.assistance import standards
from backoffice.assistance.models import Application
from backoffice.benefits.models import BenefitApplication
from backoffice.cemetery.models import CemeteryBooking
from backoffice.eldercare.models import EldercareApplication
from backoffice.marriage.models import MarriageAppointment
from tools.conversations.spec import Conversation
from tools.conversations.talk import Turn
from web.conversations.models import Conversation as ConversationRow
from web.documents.models import Document
from web.handoff.models import Ticket

ASKED_TOO_OFTEN = 3  # the same question this many times fails a conversation (issue 22: never loop)
QUESTION_MARKS = ("？", "?")
# The bot's "didn't understand" answers (bot/channels/platform.py counts the same actions).
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_stage_fallback", "utter_default"})


@dataclass(frozen=True)
class Facts:
    """What the system holds for one sender."""

    booked: int = 0  # marriage appointments and cemetery visits booked by the sender, still booked
    cancelled: int = 0
    applied: int = 0  # assistance, eldercare and benefit (funeral, disability) applications the sender submitted
    handed_off: int = 0  # handoff tickets of the sender's conversation
    documents_attached: int = 0  # photos sorted to one of the sender's applications (one per application and kind)
    documents_missing: int = 0  # kinds the sender's applications need that no photo was sorted to


def _documents(conn_backoffice: Connection, platform: Engine, sender_id: str) -> tuple[int, int]:
    """(attached, missing) over the sender's assistance and benefit applications, from the back-office's
    rows (what each needs) and the platform's (what came), not from the code that answers the resident."""
    required = {
        case_no: set(codes or ())
        for case_no, codes in conn_backoffice.execute(
            select(BenefitApplication.case_no, BenefitApplication.required_documents).where(
                BenefitApplication.submitted_by_openid == sender_id
            )
        )
    }
    programmes = standards.programs()
    for case_no, kind in conn_backoffice.execute(
        select(Application.case_no, Application.type).where(Application.submitted_by_openid == sender_id)
    ):
        required[case_no] = set(programmes.get(kind, {}).get("required_documents") or ())
    with platform.connect() as conn:
        rows = conn.execute(
            select(Document.application_id, Document.kind).where(
                Document.sender_id == sender_id, Document.kind.is_not(None)
            )
        )
        attached = {(case_no, kind) for case_no, kind in rows}
    missing = sum(
        len(codes - {kind for case, kind in attached if case == case_no}) for case_no, codes in required.items()
    )
    return len(attached), missing


def facts(backoffice: Engine, platform: Engine, sender_id: str) -> Facts:
    with backoffice.connect() as conn:
        statuses = Counter(
            dict(
                conn.execute(
                    select(MarriageAppointment.status, func.count())
                    .where(MarriageAppointment.openid == sender_id)
                    .group_by(MarriageAppointment.status)
                ).all()
            )
        )
        statuses.update(
            dict(
                conn.execute(  # cemetery visits (祭扫预约) count as appointments
                    select(CemeteryBooking.status, func.count())
                    .where(CemeteryBooking.openid == sender_id)
                    .group_by(CemeteryBooking.status)
                ).all()
            )
        )
        applied = (
            conn.scalar(
                select(func.count()).select_from(Application).where(Application.submitted_by_openid == sender_id)
            )
            + conn.scalar(
                select(func.count()).select_from(EldercareApplication).where(EldercareApplication.openid == sender_id)
            )
            + conn.scalar(
                select(func.count())
                .select_from(BenefitApplication)
                .where(BenefitApplication.submitted_by_openid == sender_id)
            )
        )
        attached, missing = _documents(conn, platform, sender_id)
    with platform.connect() as conn:
        tickets = conn.scalar(
            select(func.count())
            .select_from(Ticket)
            .join(ConversationRow, Ticket.conversation_id == ConversationRow.id)
            .where(ConversationRow.sender_id == sender_id)
        )
    return Facts(statuses["booked"], statuses["cancelled"], applied, tickets, attached, missing)


def asked_slots(events: list[dict]) -> Counter[str]:
    """How many turns ended with a form asking each slot the same way (``form.slot: the question``): a
    turn counts when the bot spoke and the form is still waiting for that slot; the way is the turn's
    last bot line. A slot asked again in other words (another approach: choices, an example, a
    person) counts apart: issue 22 asks that no question be put a third time *the same way*."""
    asked: Counter[str] = Counter()
    loop = slot = said = None

    def close_turn() -> None:
        if said and loop and slot:
            asked[f"{loop}.{slot}: {said}"] += 1

    for event in events:
        kind = event.get("event")
        if kind == "user":
            close_turn()
            said = None
        elif kind == "bot":
            said = (event.get("text") or "").strip() or said
        elif kind == "active_loop":
            loop = event.get("name")
            if not loop:
                slot = None
        elif kind == "slot" and event.get("name") == "requested_slot":
            slot = event.get("value")
    close_turn()
    return asked


def fallback_replies(events: list[dict]) -> int:
    """How many times the bot answered that it did not understand (a fallback action ran)."""
    return sum(e.get("event") == "action" and e.get("name") in FALLBACK_ACTIONS for e in events)


def repeated_questions(turns: list[Turn]) -> Counter[str]:
    """The bot's lines that ask something, by text, across the conversation."""
    return Counter(line.strip() for t in turns for line in t.replies if any(m in line for m in QUESTION_MARKS))


@dataclass
class Verdict:
    ok: bool
    reasons: list[str] = field(default_factory=list)
    triple_asked: list[str] = field(default_factory=list)  # questions or form slots asked 3+ times
    happened: list[str] = field(default_factory=list)  # booked, cancelled, applied, handed_off


def judge(conv: Conversation, before: Facts, after: Facts, turns: list[Turn], slots: Counter[str]) -> Verdict:
    reasons: list[str] = []
    happened = {
        "booked": after.booked > before.booked,
        "cancelled": after.cancelled > before.cancelled,
        "applied": after.applied > before.applied,
        "handed_off": after.handed_off > before.handed_off,
    }
    if conv.expect in happened:
        if not happened[conv.expect]:
            reasons.append(f"expected {conv.expect}, the system shows none")
        extra = [k for k, v in happened.items() if v and k != conv.expect]
    else:
        extra = [k for k, v in happened.items() if v]
    if extra:
        reasons.append(f"unexpected: {', '.join(extra)}")
    if conv.expect == "answered":
        shown = "\n".join(t.shown for t in turns)
        missing = [p for p in conv.answer_contains if p not in shown]
        if missing:
            reasons.append(f"never said: {', '.join(missing)}")
    if conv.documents == "complete":
        if after.documents_attached <= before.documents_attached:
            reasons.append("expected documents attached, the platform shows none")
        elif after.documents_missing:
            reasons.append(f"{after.documents_missing} required documents still not attached")
    unanswered = [t.said for t in turns if not t.answered]
    if unanswered:
        reasons.append(f"no answer to {unanswered[0]!r}")
    triple = [f"{n}× {q[:60]}" for q, n in repeated_questions(turns).items() if n >= ASKED_TOO_OFTEN]
    triple += [f"{n}× slot {s[:90]}" for s, n in slots.items() if n >= ASKED_TOO_OFTEN]
    if triple:
        reasons.append("asked the same question 3+ times")
    return Verdict(not reasons, reasons, triple, [k for k, v in happened.items() if v])
