"""The nearest-N search against a brute-force check on random facilities, on SQLite and PostgreSQL."""

from __future__ import annotations

import random

import pytest
from sqlalchemy.orm import Session

from backoffice.eldercare.geo import box_around, haversine_m
from backoffice.eldercare.models import Facility
from backoffice.eldercare.search import nearest
from backoffice.region.models import District, Street
from common.db import make_engine
from common.migrate import upgrade

CENTER = (31.25, 121.43)


def _random_facilities(rng: random.Random, n: int) -> list[Facility]:
    out = []
    for i in range(n):
        type_ = rng.choice(["助餐", "养老院"])
        beds = [{"level": "介护", "total": 10, "free": rng.choice([0, 0, 1, 3])}] if type_ == "养老院" else []
        # clustered and spread points, some exactly on the same spot, to test ties and sparse areas
        lat = CENTER[0] + rng.gauss(0, 0.05 if i % 3 else 0.2)
        lng = CENTER[1] + rng.gauss(0, 0.05 if i % 3 else 0.2)
        out.append(
            Facility(
                code=f"R{i:05d}",
                type=type_,
                name=f"测试{i}",
                district_code="310107",
                street_code="310107005",
                address="测试路",
                lat=lat,
                lng=lng,
                phone="021-00000000",
                hours="全天",
                services=[],
                price="",
                beds=beds,
            )
        )
    return out


@pytest.fixture
def random_db(db_url):
    upgrade("backoffice", db_url)
    engine = make_engine(db_url)
    rng = random.Random(20261123)
    with Session(engine) as sess, sess.begin():
        sess.add(District(code="310107", name="普陀区", aliases=[], lat=CENTER[0], lng=CENTER[1]))
        sess.add(
            Street(
                code="310107005",
                district_code="310107",
                name="曹杨新村街道",
                kind="街道",
                aliases=[],
                lat=CENTER[0],
                lng=CENTER[1],
                service_center={},
                advisor_name="",
                advisor_phone="",
            )
        )
        sess.flush()
        sess.add_all(_random_facilities(rng, 1500))
    yield engine
    engine.dispose()


def brute_force(facilities, lat, lng, type_, max_m, free_first):
    rows = [
        (f.code, haversine_m(lat, lng, f.lat, f.lng), sum(b["free"] for b in f.beds))
        for f in facilities
        if f.type == type_
    ]
    rows = [r for r in rows if r[1] <= max_m]
    rows.sort(key=(lambda r: (r[2] <= 0, r[1])) if free_first else (lambda r: r[1]))
    return rows


def test_nearest_pages_equal_brute_force(random_db):
    rng = random.Random(7)
    with Session(random_db) as sess:
        facilities = sess.query(Facility).all()
        assert len(facilities) == 1500
        for _ in range(40):
            lat, lng = CENTER[0] + rng.uniform(-0.4, 0.4), CENTER[1] + rng.uniform(-0.4, 0.4)
            type_ = rng.choice(["助餐", "养老院"])
            free_first = type_ == "养老院"
            max_m = rng.choice([3_000.0, 30_000.0])
            expected = brute_force(facilities, lat, lng, type_, max_m, free_first)
            for offset in (0, 5, 10):
                page = nearest(sess, lat, lng, type_, limit=5, offset=offset, max_radius_m=max_m)
                want = expected[offset : offset + 5]
                assert [h.facility.code for h in page.hits] == [code for code, _d, _f in want]
                assert [round(h.distance_m, 3) for h in page.hits] == [round(d, 3) for _c, d, _f in want]
                assert page.has_more == (len(expected) > offset + 5)


def test_beds_first_only_for_types_with_beds(random_db):
    with Session(random_db) as sess:
        homes = nearest(sess, *CENTER, "养老院", limit=10).hits
        frees = [h.facility.free_beds > 0 for h in homes]
        assert frees == sorted(frees, reverse=True)  # every place with a free bed before any full one
        plain = nearest(sess, *CENTER, "养老院", limit=10, free_first=False).hits
        assert [h.distance_m for h in plain] == sorted(h.distance_m for h in plain)


@pytest.mark.parametrize("lat", [0.0, 31.25, 60.0, -45.0])
def test_the_box_holds_the_whole_circle(lat):
    rng = random.Random(lat)
    box = box_around(lat, 121.43, 5_000)
    for _ in range(2000):
        plat, plng = lat + rng.uniform(-0.1, 0.1), 121.43 + rng.uniform(-0.2, 0.2)
        if haversine_m(lat, 121.43, plat, plng) <= 5_000:
            assert box.min_lat <= plat <= box.max_lat and box.min_lng <= plng <= box.max_lng


def test_haversine_known_distance():
    # People's Square to Lujiazui is about 2.4 km
    assert 2_200 < haversine_m(31.2304, 121.4737, 31.2397, 121.4998) < 2_700
