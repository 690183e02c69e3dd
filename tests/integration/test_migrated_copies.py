"""tests/migrated.py: an empty database made at the heads from a template is the database the migrations make."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from common import migrate
from common.db import make_engine
from tests import migrated


def _schema(url: str) -> dict[str, list[tuple[str, str]]]:
    engine = make_engine(url)
    try:
        found = inspect(engine)
        return {t: sorted((c["name"], str(c["type"])) for c in found.get_columns(t)) for t in found.get_table_names()}
    finally:
        engine.dispose()


@pytest.mark.parametrize("tree", migrate.TREES)
def test_a_copy_from_the_template_has_the_schema_the_migrations_give(tree, db_url, postgres, tmp_path):
    assert migrate.upgrade is migrated.upgrade  # installed for the session
    migrated.upgrade(tree, db_url)  # the first of its tree and kind is migrated for real, later ones are copies
    assert (make_url(db_url).get_backend_name(), tree) in migrated._templates  # so the next one is a copy
    copy = f"sqlite:///{tmp_path / 'copy.db'}" if db_url.startswith("sqlite") else postgres.create("civic_copy")
    real = f"sqlite:///{tmp_path / 'real.db'}" if db_url.startswith("sqlite") else postgres.create("civic_real")
    migrated.upgrade(tree, copy)
    migrated._real(tree, real)
    assert _schema(copy) == _schema(real) and len(_schema(real)) > 5
