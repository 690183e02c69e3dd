"""Loading handbook.yaml: new entries are added, entries still as seeded are refreshed, and entries an
administrator has edited (``updated_by`` other than "seed") are left alone."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.handbook.models import HandbookEntry

SEED = Path(__file__).resolve().parent.parent / "seed" / "handbook.yaml"
FIELDS = (
    "topic",
    "title",
    "body",
    "conditions",
    "how_to_apply",
    "documents",
    "contact",
    "source",
    "keywords",
    "next_step",
)


def load(sess: Session) -> None:
    for item in yaml.safe_load(SEED.read_text(encoding="utf-8"))["entries"]:
        entry = sess.scalar(select(HandbookEntry).where(HandbookEntry.slug == item["slug"]))
        if entry is not None and entry.updated_by != "seed":
            continue
        values = {f: item.get(f, [] if f in ("documents", "keywords") else "") for f in FIELDS}
        effective = item.get("effective_date")
        values["effective_date"] = date.fromisoformat(effective) if isinstance(effective, str) else effective
        values["district_code"] = item.get("district") or None
        if entry is None:
            sess.add(
                HandbookEntry(slug=item["slug"], updated_by="seed", updated_at=datetime.now(), version=1, **values)
            )
        elif any(getattr(entry, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(entry, k, v)
            entry.version, entry.updated_at = entry.version + 1, datetime.now()
    sess.flush()
