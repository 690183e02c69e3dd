"""Nearest facilities of a type: an indexed bounding-box query, exact haversine distance, growing radius.

The box query reads (code, lat, lng, free_beds) through the (type, lat, lng) index; the
radius doubles until the box holds enough facilities that nothing outside it could rank
higher, so page k is exact without scanning the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.eldercare.geo import box_around, haversine_m
from backoffice.eldercare.models import TYPES_WITH_BEDS, Facility

START_RADIUS_M = 1_000.0
MAX_RADIUS_M = 30_000.0


@dataclass(frozen=True)
class Hit:
    facility: Facility
    distance_m: float


@dataclass(frozen=True)
class Page:
    hits: list[Hit]
    has_more: bool
    radius_m: float


def nearest(
    sess: Session,
    lat: float,
    lng: float,
    type_: str,
    limit: int = 5,
    offset: int = 0,
    max_radius_m: float = MAX_RADIUS_M,
    free_first: bool | None = None,
) -> Page:
    """Facilities of ``type_`` within ``max_radius_m``, nearest first; with ``free_first`` (default for types
    with beds) those with a free bed come first, each group nearest first. One page, plus whether more follow."""
    free_first = type_ in TYPES_WITH_BEDS if free_first is None else free_first
    wanted = offset + limit + 1  # one more than the page, to know whether another page follows
    radius = min(START_RADIUS_M, max_radius_m)
    while True:
        rows = _within(sess, lat, lng, type_, radius)
        ranked = rows if not free_first else [r for r in rows if r[2] > 0]
        if len(ranked) >= wanted or radius >= max_radius_m:
            break
        radius = min(radius * 2, max_radius_m)
    if free_first:
        rows.sort(key=lambda r: (r[2] <= 0, r[1]))
    else:
        rows.sort(key=lambda r: r[1])
    chosen = rows[offset : offset + limit]
    by_code = {f.code: f for f in sess.scalars(select(Facility).where(Facility.code.in_([r[0] for r in chosen])))}
    return Page([Hit(by_code[code], dist) for code, dist, _free in chosen], len(rows) > offset + limit, radius)


def _within(sess: Session, lat: float, lng: float, type_: str, radius: float) -> list[tuple[str, float, int]]:
    """(code, distance, free beds) of every facility of the type within ``radius`` metres, exactly."""
    box = box_around(lat, lng, radius)
    query = select(Facility.code, Facility.lat, Facility.lng, Facility.free_beds).where(
        Facility.type == type_,
        Facility.lat.between(box.min_lat, box.max_lat),
        Facility.lng.between(box.min_lng, box.max_lng),
    )
    out = []
    for code, flat, flng, free in sess.execute(query):
        dist = haversine_m(lat, lng, flat, flng)
        if dist <= radius:
            out.append((code, dist, free or 0))
    return out
