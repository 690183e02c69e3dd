"""GET /districts: the region tree the bot uses to resolve place names."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from backoffice import contract
from backoffice.region import schemas
from backoffice.region.models import District, Street
from common.db import session

bp = Blueprint("region", __name__)


@bp.get("/districts")
@contract.operation(
    "The region: districts, their streets/towns and communities", responses={200: ("the region tree", schemas.Region)}
)
def list_districts():
    districts = (
        session()
        .scalars(
            select(District)
            .options(selectinload(District.streets).selectinload(Street.communities))
            .order_by(District.code)
        )
        .all()
    )
    return jsonify(
        districts=[
            {
                "code": d.code,
                "name": d.name,
                "streets": [
                    {
                        "code": s.code,
                        "name": s.name,
                        "kind": s.kind,
                        "communities": [{"code": c.code, "name": c.name} for c in s.communities],
                    }
                    for s in d.streets
                ],
            }
            for d in districts
        ]
    )
