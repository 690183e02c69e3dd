"""Great-circle distance and the bounding box that contains a circle (GCJ-02 degrees in, metres out).

GCJ-02 is offset from WGS-84 by a few hundred metres at most and smoothly, so distances
between two GCJ-02 points are exact enough for "which is nearest" without converting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Box:
    min_lat: float
    max_lat: float
    min_lng: float
    max_lng: float


def box_around(lat: float, lng: float, radius_m: float) -> Box:
    """A lat/lng box containing every point within ``radius_m`` of (lat, lng) (not across the poles or ±180°)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    widest = min(89.9, abs(lat) + dlat)  # a circle is widest in longitude at its edge nearest the pole
    dlng = math.degrees(radius_m / (EARTH_RADIUS_M * math.cos(math.radians(widest))))
    return Box(lat - dlat, lat + dlat, lng - dlng, lng + dlng)
