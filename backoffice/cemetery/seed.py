"""Loading backoffice/seed/cemeteries.yaml: cemeteries, columbaria and their gates (upserted)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backoffice.cemetery import schedule
from backoffice.cemetery.models import Cemetery, CemeteryGate


def load(sess: Session) -> None:
    config = schedule.config()
    for c in config["cemeteries"]:
        sess.merge(
            Cemetery(
                code=c["code"],
                name=c["name"],
                kind=c["kind"],
                district_code=c["district"],
                address=c["address"],
                phone=c["phone"],
                hours=c["hours"],
                aliases=c.get("aliases", []),
                companions_max=c.get("companions_max", config["booking"]["companions_max"]),
            )
        )
        for g in c["gates"]:
            sess.merge(CemeteryGate(code=g["code"], cemetery_code=c["code"], name=g["name"], slots=g["slots"]))
    sess.flush()
