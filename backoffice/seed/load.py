"""Upserting the YAML seed files and generated residents into the back-office database."""

from __future__ import annotations

import logging
from pathlib import Path

import yaml
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from backoffice.cemetery import seed as cemetery_seed
from backoffice.child_protection import seed as child_protection_seed
from backoffice.eldercare import seed as eldercare_seed
from backoffice.handbook import seed as handbook_seed
from backoffice.models import (
    Community,
    District,
    Facility,
    Household,
    Landmark,
    Office,
    Resident,
    Street,
    WechatBinding,
)
from backoffice.seed.people import PeopleFactory

HERE = Path(__file__).parent
HOUSEHOLDS_PER_COMMUNITY = 6
# Demo openids bound to seeded residents, so a demo chat can look up "my" bookings.
DEMO_OPENIDS = ("oDEMO_resident_0001", "oDEMO_resident_0002", "oDEMO_resident_0003")

log = logging.getLogger(__name__)


def _read(name: str) -> dict:
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8"))


def load_region(sess: Session) -> None:
    region = _read("region.yaml")
    for d in region["districts"]:
        sess.merge(
            District(
                code=d["code"], name=d["name"], aliases=d.get("aliases", []), lat=d["center"][0], lng=d["center"][1]
            )
        )
        for s in d["streets"]:
            center = s["center"]
            advisor = s.get("assistance_advisor", {})
            sess.merge(
                Street(
                    code=s["code"],
                    district_code=d["code"],
                    name=s["name"],
                    kind=s["kind"],
                    aliases=s.get("aliases", []),
                    lat=center[0],
                    lng=center[1],
                    service_center=s.get("service_center", {}),
                    advisor_name=advisor.get("name", ""),
                    advisor_phone=advisor.get("phone", ""),
                )
            )
            for c in s.get("communities", []):
                sess.merge(
                    Community(
                        code=c["code"],
                        street_code=s["code"],
                        name=c["name"],
                        aliases=c.get("aliases", []),
                        lat=c["center"][0],
                        lng=c["center"][1],
                    )
                )
            existing = {lm.name for lm in sess.scalars(select(Landmark).where(Landmark.street_code == s["code"]))}
            for lm in s.get("landmarks", []):
                if lm["name"] not in existing:
                    sess.add(Landmark(street_code=s["code"], name=lm["name"], lat=lm["center"][0], lng=lm["center"][1]))
    sess.flush()


def load_offices(sess: Session) -> None:
    for o in _read("offices.yaml")["offices"]:
        sess.merge(
            Office(
                code=o["code"],
                name=o["name"],
                district_code=o["district"],
                address=o["address"],
                lat=o["center"][0],
                lng=o["center"][1],
                phone=o["phone"],
                hours=o["hours"],
                services=o["services"],
                slots=o["slots"],
                peak_extra_capacity=o.get("peak_extra_capacity", 0),
            )
        )


def load_facilities(sess: Session) -> None:
    for f in _read("facilities.yaml")["facilities"]:
        sess.merge(
            Facility(
                code=f["code"],
                type=f["type"],
                name=f["name"],
                district_code=f["district"],
                street_code=f["street"],
                address=f["address"],
                lat=f["center"][0],
                lng=f["center"][1],
                phone=f["phone"],
                hours=f["hours"],
                services=f.get("services", []),
                price=f.get("price", ""),
                beds=f.get("beds", []),
            )
        )


def load_residents(sess: Session) -> int:
    """Generate households once; a re-run leaves existing residents alone."""
    if sess.scalar(select(func.count()).select_from(Resident)):
        return 0
    factory = PeopleFactory()
    count = 0
    communities = sess.scalars(select(Community).order_by(Community.code)).all()
    for community in communities:
        district_code = community.street.district_code
        for _ in range(HOUSEHOLDS_PER_COMMUNITY):
            fam = factory.family(district_code)
            household = Household(
                community_code=community.code,
                address=fam.address,
                monthly_income=fam.monthly_income,
                savings=fam.savings,
                vehicles=fam.vehicles,
            )
            sess.add(household)
            for p in fam.members:
                household.members.append(
                    Resident(
                        id_number=p.id_number,
                        name=p.name,
                        gender=p.gender,
                        birth_date=p.birth_date,
                        phone=p.phone,
                        relation=p.relation,
                        hukou_district_code=district_code,
                        hukou_community_code=community.code,
                        disability_grade=p.disability_grade,
                        disability_category=p.disability_category,
                        living_alone=p.living_alone,
                        benefits=list(p.benefits),
                    )
                )
                count += 1
    sess.flush()
    adults = sess.scalars(
        select(Resident).where(Resident.phone != "").order_by(Resident.id).limit(len(DEMO_OPENIDS))
    ).all()
    for openid, resident in zip(DEMO_OPENIDS, adults):
        sess.add(WechatBinding(openid=openid, resident_id=resident.id))
    return count


def seed(engine: Engine) -> dict[str, int]:
    with Session(engine) as sess, sess.begin():
        load_region(sess)
        load_offices(sess)
        load_facilities(sess)
        created = load_residents(sess)
        eldercare_seed.load(sess)
        handbook_seed.load(sess)
        child_protection_seed.load(sess)
        cemetery_seed.load(sess)
    with Session(engine) as sess:
        counts = {
            "districts": sess.scalar(select(func.count()).select_from(District)),
            "streets": sess.scalar(select(func.count()).select_from(Street)),
            "communities": sess.scalar(select(func.count()).select_from(Community)),
            "offices": sess.scalar(select(func.count()).select_from(Office)),
            "facilities": sess.scalar(select(func.count()).select_from(Facility)),
            "residents": sess.scalar(select(func.count()).select_from(Resident)),
        }
    log.info("demo region seeded", extra={"counts": counts, "residents_created": created})
    return counts
