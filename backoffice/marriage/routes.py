"""GET /offices: registration offices, optionally of one district."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from common.db import session
from backoffice.marriage.models import Office

bp = Blueprint("marriage", __name__)


def office_json(o: Office) -> dict:
    return {
        "code": o.code,
        "name": o.name,
        "district_code": o.district_code,
        "address": o.address,
        "location": {"lat": o.lat, "lng": o.lng},
        "phone": o.phone,
        "hours": o.hours,
        "services": o.services,
    }


@bp.get("/offices")
def list_offices():
    query = select(Office).order_by(Office.code)
    if district := request.args.get("district"):
        query = query.where(Office.district_code == district)
    return jsonify(offices=[office_json(o) for o in session().scalars(query)])
