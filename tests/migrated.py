"""Fresh databases at the migrations' heads without running every migration for each test.

The suite makes hundreds of empty databases and brings each to the heads of a migration tree
(``common.migrate.upgrade``): about a second each on PostgreSQL, more on a busy machine. Here the
first database of each tree, per kind, is migrated for real and kept as a template; each later
*empty* database of that tree becomes a copy of it: SQLite through its backup API, PostgreSQL as
``CREATE DATABASE … TEMPLATE``, which is what the same migrations give. A database that already
holds tables is migrated for real (to heads from wherever it is), as is any other kind of URL.

``install`` puts it in ``common.migrate`` when tests/conftest.py is imported, before any test module
imports ``upgrade``; PostgreSQL templates are made on the server of ``TEST_DATABASE_URL`` (settled in
``pytest_configure``), and ``remove`` drops them.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool

from common import migrate
from common.db import normalise_url

_real = migrate.upgrade
_folder: Path | None = None
_admin: Engine | None = None
_templates: dict[tuple[str, str], str] = {}  # (kind, tree) -> SQLite path or PostgreSQL database name


def install() -> None:
    migrate.upgrade = upgrade


def _server() -> Engine | None:
    """The suite's PostgreSQL server, once it is known."""
    global _admin
    if _admin is None and os.environ.get("TEST_DATABASE_URL"):
        _admin = create_engine(
            normalise_url(os.environ["TEST_DATABASE_URL"]), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
    return _admin


def remove() -> None:
    global _folder
    migrate.upgrade = _real
    if _admin is not None:
        with _admin.connect() as conn:
            for (kind, _tree), name in _templates.items():
                if kind == "postgresql":
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        _admin.dispose()
    if _folder is not None:
        shutil.rmtree(_folder, ignore_errors=True)
    _templates.clear()
    _folder = None


def upgrade(tree: str, url: str) -> None:
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        _sqlite(tree, url, Path(parsed.database))
    elif parsed.get_backend_name() == "postgresql" and _server() is not None and _same_server(parsed):
        _postgres(tree, url, parsed)
    else:
        _real(tree, url)


def _sqlite(tree: str, url: str, path: Path) -> None:
    if path.exists() and _sqlite_tables(path):
        return _real(tree, url)
    template = _templates.get(("sqlite", tree))
    if template is None:
        template = str(_template_folder() / f"{tree}.db")
        _real(tree, f"sqlite:///{template}")
        _templates[("sqlite", tree)] = template
    source, target = sqlite3.connect(template), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def _template_folder() -> Path:
    global _folder
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="civic-migrated-"))
    return _folder


def _sqlite_tables(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    finally:
        conn.close()


def _same_server(parsed: URL) -> bool:
    assert _admin is not None
    admin = _admin.url
    return (parsed.host, parsed.port, parsed.username) == (admin.host, admin.port, admin.username)


def _postgres(tree: str, url: str, parsed: URL) -> None:
    assert _admin is not None
    database = create_engine(normalise_url(url), poolclass=NullPool)
    try:
        with database.connect() as conn:
            tables = conn.scalar(
                text(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                )
            )
    finally:
        database.dispose()
    if tables:
        return _real(tree, url)
    template = _templates.get(("postgresql", tree))
    if template is None:
        template = f"civic_template_{tree}_{uuid.uuid4().hex[:8]}"
        with _admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{template}"'))
        _templates[("postgresql", tree)] = template
        _real(tree, parsed.set(database=template).render_as_string(hide_password=False))
    with _admin.connect() as conn:
        # the migration's own connections to the template, if its pool kept any (a template must be unused)
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": template},
        )
        conn.execute(text(f'DROP DATABASE "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}" TEMPLATE "{template}"'))
