"""Migrations and the demo seed, on SQLite and on PostgreSQL."""
from __future__ import annotations

import yaml
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from backoffice.models import Community, District, Resident, Street, WechatBinding
from backoffice.seed.load import HERE, seed
from common.db import make_engine
from common.masking import is_valid_id_number
from common.migrate import upgrade


def test_platform_migrations_create_the_conversation_tables(db_url):
    upgrade("platform", db_url)
    tables = set(inspect(make_engine(db_url)).get_table_names())
    assert {"conversation", "message", "alembic_version"} <= tables


def test_backoffice_seed_loads_every_street_of_both_districts_and_is_idempotent(db_url):
    upgrade("backoffice", db_url)
    engine = make_engine(db_url)
    first = seed(engine)
    second = seed(engine)
    assert first == second
    region = yaml.safe_load((HERE / "region.yaml").read_text(encoding="utf-8"))
    expected_streets = {s["name"] for d in region["districts"] for s in d["streets"]}
    with Session(engine) as sess:
        assert {d.name for d in sess.scalars(select(District))} == {"普陀区", "宝山区"}
        streets = {s.name for s in sess.scalars(select(Street))}
        assert streets == expected_streets
        assert {"长寿路街道", "石泉路街道", "长征镇", "月浦镇", "大场镇", "淞南镇"} <= streets
        assert sess.scalar(select(func.count()).select_from(Community)) >= 3 * len(streets)
        residents = sess.scalars(select(Resident)).all()
        assert len(residents) > 300
        assert all(is_valid_id_number(r.id_number) for r in residents)
        assert sess.scalar(select(func.count()).select_from(WechatBinding)) == 3
