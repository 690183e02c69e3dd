"""Migrations and the demo seed, on SQLite and on PostgreSQL."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

import backoffice
import backoffice.orm
import web
import web.orm
from backoffice.models import Community, District, Resident, Street, WechatBinding
from backoffice.seed.load import HERE, seed
from common.db import make_engine
from common.masking import is_valid_id_number
from common.migrate import upgrade


def test_platform_migrations_create_the_conversation_tables(db_url):
    upgrade("platform", db_url)
    tables = set(inspect(make_engine(db_url)).get_table_names())
    assert {"conversation", "message", "alembic_version"} <= tables


@pytest.mark.parametrize(
    "tree,package,base", [("platform", web, web.orm.Base), ("backoffice", backoffice, backoffice.orm.Base)]
)
def test_the_models_and_the_migrations_agree(db_url, tree, package, base):
    """What the code maps is what the migrations build: a column added to a model without a
    migration (or the other way round) fails here, not in production."""
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if module.name.rsplit(".", 1)[-1] == "models":
            importlib.import_module(module.name)
    upgrade(tree, db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), base.metadata) == []
    engine.dispose()


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
