"""The registry keeps each resident's campaign openid (``resident.openid``: the least openid of their WeChat
bindings, a web chat sign-in's binding, which ends, not counted) on every write to ``wechat_binding``, and the
campaign audience reads it instead of grouping every binding per query (what made the builder's count slow
at 1,000,000 residents)."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from backoffice.identity import bindings
from backoffice.residents.models import Resident, WechatBinding
from common.db import make_engine
from common.migrate import upgrade
from tests.policy.conftest import AS_OF, People, load_people, resident_row, seed_region
from tests.waiting import wait_for
from web.policy import compiler, registry, rules

LATER = datetime(2030, 1, 1)


def kept(engine: Engine) -> dict[int, str | None]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Resident.id, Resident.openid).order_by(Resident.id)).all())


def counted(engine: Engine) -> dict[int, str | None]:
    """What each resident's openid is, worked out from the bindings: what the kept one must always be."""
    with engine.connect() as conn:
        least = (
            select(func.min(WechatBinding.openid))
            .where(WechatBinding.resident_id == Resident.id, WechatBinding.expires_at.is_(None))
            .scalar_subquery()
        )
        return dict(conn.execute(select(Resident.id, least).order_by(Resident.id)).all())


def four_residents(engine: Engine) -> None:
    crowd = People(households=[{"id": 1, "community_code": "310107005001", "monthly_income": 0, "savings": 0}])
    crowd.residents = [resident_row(r, 1, date(1940, 1, r)) for r in (1, 2, 3, 4)]
    load_people(engine, crowd)


def test_the_openid_follows_every_write_to_the_bindings(registry_engine):
    four_residents(registry_engine)
    assert kept(registry_engine) == {1: None, 2: None, 3: None, 4: None}
    with registry_engine.begin() as conn:  # several rows in one statement; a web chat sign-in is no WeChat
        conn.execute(
            insert(WechatBinding),
            [
                {"openid": "o-one", "resident_id": 1, "expires_at": None},
                {"openid": "o-two", "resident_id": 2, "expires_at": None},
                {"openid": "web-three", "resident_id": 3, "expires_at": LATER},
            ],
        )
    assert kept(registry_engine) == {1: "o-one", 2: "o-two", 3: None, 4: None}
    with Session(registry_engine) as sess, sess.begin():  # bound twice: the least openid is the one pushed to
        sess.add(WechatBinding(openid="o-a-second-phone", resident_id=1))
        sess.add(WechatBinding(openid="o-z-third-phone", resident_id=1))
    assert kept(registry_engine)[1] == "o-a-second-phone"
    with registry_engine.begin() as conn:
        conn.execute(update(WechatBinding).where(WechatBinding.openid == "o-two").values(resident_id=4))  # replaced
        conn.execute(update(WechatBinding).where(WechatBinding.openid == "web-three").values(expires_at=None))
    assert kept(registry_engine) == {1: "o-a-second-phone", 2: None, 3: "web-three", 4: "o-two"}
    with Session(registry_engine) as sess:  # the back-office's own unbinding: the next binding takes over
        assert bindings.unbind(sess, "o-a-second-phone")
    assert kept(registry_engine)[1] == "o-one"
    with registry_engine.begin() as conn:  # one statement removing a resident's two bindings and another's
        conn.execute(delete(WechatBinding).where(WechatBinding.openid.in_(["o-one", "o-z-third-phone", "o-two"])))
    assert kept(registry_engine) == {1: None, 2: None, 3: "web-three", 4: None} == counted(registry_engine)


def test_a_web_sign_in_that_ends_leaves_the_wechat_binding_in_place(registry_engine):
    four_residents(registry_engine)
    with registry_engine.begin() as conn:
        conn.execute(
            insert(WechatBinding),
            [
                {"openid": "a-web-page", "resident_id": 2, "expires_at": AS_OF},  # less than the WeChat's openid
                {"openid": "o-wechat", "resident_id": 2, "expires_at": None},
            ],
        )
    assert kept(registry_engine)[2] == "o-wechat"
    with Session(registry_engine) as sess, sess.begin():
        bindings.expire(sess, datetime.combine(AS_OF, datetime.min.time()) + timedelta(days=1))
    assert kept(registry_engine) == counted(registry_engine) == {1: None, 2: "o-wechat", 3: None, 4: None}


def test_the_audience_reads_the_kept_openid_and_groups_no_binding(registry_engine):
    rule = rules.parse({"age": {"gte": 80}})
    with registry_engine.connect() as conn:
        ctx = compiler.Context(AS_OF, {}, registry.load_region(conn), conn.dialect.name)
    sql = str(compiler.audience_query(rule, ctx, "高龄津贴").compile(registry_engine))
    assert "resident.openid" in sql
    assert "wechat_binding" not in sql


def waiting_for_a_lock(engine: Engine) -> int:
    with engine.connect() as conn:  # a new transaction each time: pg_stat_activity is read once per transaction
        return conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()


def test_two_writers_binding_one_resident_at_once_leave_the_least_openid(postgres):
    """On PostgreSQL the trigger locks the resident before recounting: the second writer, which waited for
    the first, recounts with the first's binding in sight (without the lock it would keep its own, larger
    openid: its statement's snapshot was taken before the first committed)."""
    url = postgres.create("civic_openid")
    upgrade("backoffice", url)
    engine = make_engine(url)
    try:
        seed_region(engine)
        four_residents(engine)
        first = engine.connect()
        first.begin()
        first.execute(insert(WechatBinding).values(openid="o-a", resident_id=1))  # holds resident 1, uncommitted
        second_done = threading.Event()

        def second() -> None:
            with engine.begin() as conn:
                conn.execute(insert(WechatBinding).values(openid="o-b", resident_id=1))
            second_done.set()

        writer = threading.Thread(target=second)
        writer.start()
        wait_for(lambda: waiting_for_a_lock(engine), what="the second writer waiting for the first")
        first.commit()
        first.close()
        writer.join(timeout=30)
        assert second_done.is_set()
        assert kept(engine)[1] == "o-a" == counted(engine)[1]
    finally:
        engine.dispose()
