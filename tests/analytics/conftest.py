from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from web.analytics.recording import record
from web.conversations.models import Conversation

D0, D1, D2, D3 = "2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"


@pytest.fixture
def sessions(db_url) -> sessionmaker:
    upgrade("platform", db_url)
    return sessionmaker(make_engine(db_url), expire_on_commit=False)


def at(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}")


def load_fixture(sessions: sessionmaker) -> None:
    """Four residents; the expected figures are worked out by hand in test_queries.py."""
    with sessions.begin() as sess:
        convs = [Conversation(sender_id=f"web:c{i}", channel="web") for i in range(1, 5)]
        sess.add_all(convs)
        sess.flush()
        c1, c2, c3, c4 = (c.id for c in convs)
        e = lambda kind, conv, day, clock, **kw: record(sess, kind, conv, at=at(day, clock), **kw)  # noqa: E731
        # c1, 普陀区, day 1: greets, is not understood once, books (completes the form), rates 非常满意
        e("conversation_started", c1, D1, "08:00:00", channel="web")
        e("message_in", c1, D1, "08:00:00", intent="greet", confidence=0.95, district="普陀区")
        e("message_in", c1, D1, "08:01:00", intent="marriage_book", confidence=0.4, fallback=True, district="普陀区")
        e("flow_started", c1, D1, "08:02:00", flow="marriage_form", district="普陀区")
        e(
            "message_in",
            c1,
            D1,
            "08:02:00",
            intent="marriage_book",
            confidence=0.9,
            flow="marriage_form",
            step="marriage_date",
            district="普陀区",
        )
        e("flow_completed", c1, D1, "08:03:00", flow="marriage_form", step="marriage_date", district="普陀区")
        e("rating", c1, D1, "08:04:00", flow="marriage_booking", value=5)
        # c2, 宝山区: day 1 asks for a person (agent answers after 2 min); day 2 starts a booking and stops
        e("conversation_started", c2, D1, "10:00:00")
        e("message_in", c2, D1, "10:00:00", intent="human_handoff", confidence=0.97, district="宝山区")
        e("handoff_requested", c2, D1, "10:00:01", reason="resident_request")
        e("handoff_claimed", c2, D1, "10:01:00")
        e("agent_message", c2, D1, "10:02:01")
        e("handoff_closed", c2, D1, "10:30:00")
        e("conversation_started", c2, D2, "11:00:00")
        e("flow_started", c2, D2, "11:00:00", flow="marriage_form")
        e(
            "message_in",
            c2,
            D2,
            "11:00:00",
            intent="marriage_book",
            confidence=0.8,
            flow="marriage_form",
            step="marriage_type",
        )
        e("flow_abandoned", c2, D2, "11:01:00", flow="marriage_form", step="marriage_type")
        e("rating", c2, D2, "11:02:00", flow="marriage_booking", value=2)
        # c3, no district, day 2: complains (agent answers after 10 min), starts a booking and goes quiet
        e("conversation_started", c3, D2, "09:00:00")
        e("message_in", c3, D2, "09:00:00", intent="complain", confidence=0.9)
        e("handoff_requested", c3, D2, "09:00:00", reason="complaint")
        e("agent_message", c3, D2, "09:10:00")
        e("agent_message", c3, D2, "09:20:00")
        e("flow_started", c3, D2, "12:00:00", flow="marriage_form")
        e(
            "message_in",
            c3,
            D2,
            "12:00:00",
            intent="marriage_book",
            confidence=0.7,
            flow="marriage_form",
            step="marriage_date",
        )
        # c4: before the range
        e("conversation_started", c4, D0, "09:00:00")
        e("message_in", c4, D0, "09:00:00", intent="greet", confidence=0.9)
        e("handoff_requested", c4, D0, "09:00:00", reason="sensitive")
