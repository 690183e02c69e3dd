"""Running a migration tree to head (used by `make run`, the tests and the containers)."""

from __future__ import annotations

import sys

from alembic import command
from alembic.config import Config

from common.settings import ROOT

TREES = ("backoffice", "platform")


def upgrade(tree: str, url: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"), ini_section=tree)
    cfg.set_main_option("script_location", str(ROOT / cfg.get_main_option("script_location")))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "heads")  # one branch per domain, all applied


if __name__ == "__main__":
    from common import settings

    config = settings.load()
    urls = {"backoffice": config.backoffice_database_url, "platform": config.database_url}
    for name in sys.argv[1:] or TREES:
        upgrade(name, urls[name])
        print(f"migrated {name}")
