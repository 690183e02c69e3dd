"""Where a search starts: a named place (community, street/town, landmark, district) or the bound resident's home."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.region.models import Community, District, Landmark, Street
from backoffice.residents.models import Household, Resident


@dataclass(frozen=True)
class Origin:
    kind: str  # location, community, street, landmark, district, home
    name: str
    lat: float
    lng: float

    def as_json(self) -> dict:
        return {"kind": self.kind, "name": self.name, "lat": self.lat, "lng": self.lng}


def resolve_place(sess: Session, text: str) -> Origin | None:
    """The place a name (or a sentence containing one) means: an exact name or alias first, otherwise the longest
    known name inside the text, so "长风公园附近的食堂" finds 长风公园. Smaller places win over larger ones."""
    text = text.strip()
    if not text:
        return None
    candidates: list[tuple[str, Origin]] = []
    for kind, model in (("community", Community), ("landmark", Landmark), ("street", Street), ("district", District)):
        for row in sess.scalars(select(model)):
            for name in [row.name, *getattr(row, "aliases", [])]:
                candidates.append((name, Origin(kind, row.name, row.lat, row.lng)))
    for name, origin in candidates:
        if name == text:
            return origin
    inside = [(len(name), -i, origin) for i, (name, origin) in enumerate(candidates) if len(name) >= 2 and name in text]
    return max(inside, key=lambda t: (t[0], t[1]))[2] if inside else None


def home_of(sess: Session, resident: Resident) -> Origin:
    household = sess.get(Household, resident.household_id)
    community = sess.get(Community, household.community_code)
    return Origin("home", community.name, community.lat, community.lng)


def district_code(sess: Session, value: str) -> str | None:
    """A district code from a code, a name or an alias (普陀, 普陀区, 310107)."""
    value = (value or "").strip()
    for d in sess.scalars(select(District)):
        if value in (d.code, d.name, *d.aliases):
            return d.code
    return None


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
