"""Loading seed/child_protection.yaml: each district's 未成年人保护工作站 duty worker and each community's 儿童主任,
upserted by district and community, so re-running is safe."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.child_protection.models import ChildProtectionWorker

SEED = Path(__file__).resolve().parent.parent / "seed" / "child_protection.yaml"


def _upsert(sess: Session, found: ChildProtectionWorker | None, **values) -> None:
    row = found or ChildProtectionWorker()
    for name, value in values.items():
        setattr(row, name, value)
    sess.add(row)


def load(sess: Session) -> None:
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    workers = ChildProtectionWorker
    for district in data["districts"]:
        code, station = district["district"], district["station"]
        _upsert(
            sess,
            sess.scalar(select(workers).where(workers.district_code == code, workers.community_code.is_(None))),
            district_code=code,
            community_code=None,
            station=station["name"],
            name=station["duty"]["name"],
            role=station["duty"]["role"],
            phone=station["phone"],
            takes_unlocated=code == data["unlocated_district"],
        )
        for worker in district["community_workers"]:
            _upsert(
                sess,
                sess.scalar(select(workers).where(workers.community_code == worker["community"])),
                district_code=code,
                community_code=worker["community"],
                station="",
                name=worker["name"],
                role=worker["role"],
                phone=worker["phone"],
                takes_unlocated=False,
            )
    sess.flush()
