"""The platform's side of a child-protection report, in-process: the referral is written in the caller's
transaction and sent after its commit; one attempt against the back-office records what it got; the sweep
finds what nothing is sending (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from backoffice.child_protection.models import ChildProtectionCase
from backoffice.seed.load import DEMO_OPENIDS
from common.backoffice_client import BackofficeClient
from common.db import make_engine
from common.migrate import upgrade
from tests.child_protection.conftest import TOKEN
from tests.serving import served
from tools import stack
from web.conversations.models import Conversation
from web.handoff.child_protection import delivery, referral, report_child_at_risk
from web.handoff.child_protection.delivery import Outcome
from web.handoff.child_protection.models import ChildProtectionReferral

ACCOUNT = "隔壁小孩又被他爸打了，哭得很厉害，现在还在打"
NOW = datetime(2026, 12, 4, 1, 30)
CONSOLE = "http://platform.test"


@pytest.fixture
def sessions(db_url) -> sessionmaker:
    upgrade("platform", db_url)
    return sessionmaker(make_engine(db_url), expire_on_commit=False)


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    """The referrals handed to Celery (not sent anywhere here)."""
    queued: list[str] = []
    monkeypatch.setattr(referral, "_send", queued.append)
    return queued


def conversation(sess: Session, sender: str) -> Conversation:
    conv = Conversation(sender_id=sender, channel="wechat")
    sess.add(conv)
    sess.flush()
    return conv


def referrals(sessions: sessionmaker) -> list[ChildProtectionReferral]:
    with sessions() as sess:
        return list(sess.scalars(select(ChildProtectionReferral)))


def test_the_referral_is_written_in_the_callers_transaction_and_sent_once_it_commits(sessions, sent):
    with sessions.begin() as sess:
        conv = conversation(sess, "oParent0001")
        report_child_at_risk(sess, conv, "violence", ACCOUNT, NOW)
        assert sent == []  # nothing leaves before the commit
        [pending] = sess.scalars(select(ChildProtectionReferral)).all()
        assert pending.status == "pending"  # there, in this transaction
    [row] = referrals(sessions)
    assert sent == [row.id] and row.id.startswith("cp-")
    assert (row.conversation_id, row.kind, row.account, row.reported_at) == (conv.id, "violence", ACCOUNT, NOW)
    assert (row.status, row.attempts, row.reference, row.assigned_to) == ("pending", 0, None, {})


def test_a_rolled_back_transaction_leaves_no_referral_and_sends_nothing(sessions, sent):
    with pytest.raises(RuntimeError), sessions.begin() as sess:
        report_child_at_risk(sess, conversation(sess, "oParent0002"), "neglect", ACCOUNT, NOW)
        raise RuntimeError("the desk failed after the referral")
    assert referrals(sessions) == [] and sent == []


def test_an_unknown_kind_is_refused_at_once(sessions, sent):
    with sessions.begin() as sess, pytest.raises(ValueError, match="bullying"):
        report_child_at_risk(sess, conversation(sess, "oParent0003"), "bullying", ACCOUNT, NOW)


def test_a_broker_outage_at_the_commit_loses_nothing(sessions, monkeypatch):
    def broker_down(_referral_id: str) -> None:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(referral, "_send", broker_down)
    with sessions.begin() as sess:
        report_child_at_risk(sess, conversation(sess, "oParent0004"), "no_food_or_money", ACCOUNT, NOW)
    [row] = referrals(sessions)
    assert row.status == "pending"
    assert delivery.stalled(sessions) == []  # just written: its task may yet come
    assert delivery.stalled(sessions, timedelta(0)) == [row.id]


def test_the_sweep_takes_pending_referrals_nothing_is_sending(sessions, sent):
    with sessions.begin() as sess:
        conv = conversation(sess, "oParent0005")
        for kind in ("violence", "neglect", "abandonment", "suicidal"):
            report_child_at_risk(sess, conv, kind, ACCOUNT, NOW)
    rows = {r.kind: r.id for r in referrals(sessions)}
    r = ChildProtectionReferral
    long_ago = datetime.now() - timedelta(days=1)
    with sessions.begin() as sess:
        sess.execute(update(r).values(created_at=long_ago))  # every one written a day ago (the database's clock)
        sess.execute(update(r).where(r.kind == "neglect").values(attempts=3, last_attempt_at=long_ago))
        sess.execute(update(r).where(r.kind == "abandonment").values(attempts=1, last_attempt_at=func.now()))
        sess.execute(update(r).where(r.kind == "suicidal").values(status="sent"))
    # never tried (the task was lost) and tried long ago (every retry failed); not the one a retry is on, nor the sent
    assert sorted(delivery.stalled(sessions)) == sorted([rows["violence"], rows["neglect"]])


# -- one attempt against the back-office ----------------------------------------------------------------


@pytest.fixture
def backoffice(backoffice_url, monkeypatch):
    """The seeded back-office app on a loopback port; (its client as the worker has it, its database)."""
    from backoffice.app import create_app
    from common import settings

    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", backoffice_url)
    monkeypatch.setenv("BACKOFFICE_TOKEN", TOKEN)
    with served(create_app(settings.load())) as url:
        engine = make_engine(backoffice_url)
        yield BackofficeClient(url, TOKEN), sessionmaker(engine)
        engine.dispose()


def recorded(sessions: sessionmaker, sender: str, kind: str = "violence") -> str:
    with sessions.begin() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == sender)) or conversation(sess, sender)
        row = ChildProtectionReferral(id=f"cp-test-{sender}-{kind}", conversation_id=conv.id, kind=kind)
        row.account, row.reported_at = ACCOUNT, NOW
        sess.add(row)
    return row.id


def cases_of(backoffice_sessions: sessionmaker, sender: str) -> list[ChildProtectionCase]:
    with backoffice_sessions() as sess:
        return list(sess.scalars(select(ChildProtectionCase).where(ChildProtectionCase.sender == sender)))


def test_a_delivered_referral_keeps_the_back_offices_reference_and_assignee(sessions, backoffice):
    client, bo = backoffice
    referral_id = recorded(sessions, DEMO_OPENIDS[1])
    assert delivery.deliver(sessions, client, CONSOLE, referral_id) is Outcome.SENT
    [case] = cases_of(bo, DEMO_OPENIDS[1])
    with sessions() as sess:
        row = sess.get(ChildProtectionReferral, referral_id)
    assert (row.status, row.attempts, row.reference, row.last_error) == ("sent", 1, case.reference, None)
    assert re.fullmatch(r"WB\d{13}", row.reference) and row.sent_at is not None
    assert row.assigned_to["role"] in ("社区儿童主任", "村儿童主任") and row.assigned_to["name"].endswith("*")
    assert case.account == ACCOUNT and case.reported_at == NOW
    assert case.conversation_url == f"{CONSOLE}/console/conversations/{row.conversation_id}"
    assert delivery.deliver(sessions, client, CONSOLE, referral_id) is Outcome.DONE_BEFORE
    assert len(cases_of(bo, DEMO_OPENIDS[1])) == 1


def test_an_answer_lost_on_the_way_back_makes_no_second_case(sessions, backoffice):
    client, bo = backoffice
    referral_id = recorded(sessions, "oLostAnswer01")
    with sessions() as sess:
        row = sess.get(ChildProtectionReferral, referral_id)
        body = delivery.request_body(row, "oLostAnswer01", CONSOLE)
    first = client.post(delivery.PATH, body, idempotency_key=referral_id)  # the case is made; the worker never hears
    assert delivery.deliver(sessions, client, CONSOLE, referral_id) is Outcome.SENT
    assert [c.reference for c in cases_of(bo, "oLostAnswer01")] == [first["reference"]]
    with sessions() as sess:
        assert sess.get(ChildProtectionReferral, referral_id).reference == first["reference"]


def test_a_refusal_is_recorded_and_never_sent_again(sessions, backoffice):
    client, bo = backoffice
    referral_id = recorded(sessions, "oRefused0001", kind="bullying")  # written past the function's check
    assert delivery.deliver(sessions, client, CONSOLE, referral_id) is Outcome.REFUSED
    with sessions() as sess:
        row = sess.get(ChildProtectionReferral, referral_id)
    assert (row.status, row.attempts, row.reference) == ("refused", 1, None) and row.last_error.startswith("bad_kind")
    assert delivery.deliver(sessions, client, CONSOLE, referral_id) is Outcome.DONE_BEFORE
    assert delivery.stalled(sessions, timedelta(0)) == [] and cases_of(bo, "oRefused0001") == []


def test_an_unreachable_back_office_leaves_the_referral_pending_with_the_attempt_counted(sessions):
    down = BackofficeClient(f"http://127.0.0.1:{stack.free_port()}", TOKEN, retries=0)
    referral_id = recorded(sessions, "oDown0001")
    assert delivery.deliver(sessions, down, CONSOLE, referral_id) is Outcome.UNAVAILABLE
    with sessions() as sess:
        row = sess.get(ChildProtectionReferral, referral_id)
    assert (row.status, row.attempts) == ("pending", 1) and row.last_error and row.last_attempt_at is not None


def test_retention_empties_the_account_of_answered_referrals_only(sessions, sent):
    from web.retention import purge

    with sessions.begin() as sess:
        conv = conversation(sess, "oRetention01")
        for kind in ("violence", "neglect", "abandonment", "suicidal"):
            report_child_at_risk(sess, conv, kind, ACCOUNT, NOW)
    r = ChildProtectionReferral
    old = datetime.now() - timedelta(days=200)
    with sessions.begin() as sess:
        sess.execute(update(r).where(r.kind != "suicidal").values(created_at=old))  # suicidal: a recent one
        sess.execute(update(r).where(r.kind.in_(("violence", "suicidal"))).values(status="sent", reference="WB1"))
        sess.execute(update(r).where(r.kind == "neglect").values(status="refused"))
    with sessions.begin() as sess:
        done = purge.purge(sess, {purge.PERSONAL: purge.cutoff_for(180), purge.AUDIT: purge.cutoff_for(365)})
    assert done["child_protection_accounts"] == 2
    with sessions() as sess:
        accounts = {row.kind: row.account for row in sess.scalars(select(r))}
        assert accounts == {"violence": "", "neglect": "", "abandonment": ACCOUNT, "suicidal": ACCOUNT}
        assert sess.scalar(select(r.reference).where(r.kind == "violence")) == "WB1"


def test_the_first_attempt_fixes_the_console_link_so_every_attempt_sends_the_same_body(sessions, backoffice):
    client, bo = backoffice
    down = BackofficeClient(f"http://127.0.0.1:{stack.free_port()}", TOKEN, retries=0)
    referral_id = recorded(sessions, "oMovedConsole1")
    assert delivery.deliver(sessions, down, "http://old.test", referral_id) is Outcome.UNAVAILABLE
    # PUBLIC_BASE_URL changed while the back-office was down: another body under the same key would be refused
    assert delivery.deliver(sessions, client, "http://new.test", referral_id) is Outcome.SENT
    [case] = cases_of(bo, "oMovedConsole1")
    assert case.conversation_url.startswith("http://old.test/console/conversations/")
