"""Reading the resident registry: who a bound WeChat openid is, and their household."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, jsonify

from backoffice import contract
from backoffice.errors import ApiError
from backoffice.residents import schemas
from backoffice.residents.models import Resident
from backoffice.residents.registry import resident_for_openid
from common.db import session

bp = Blueprint("residents", __name__)


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def resident_json(r: Resident) -> dict:
    today = date.today()
    household = r.household
    return {
        "id": r.id,
        "id_number": r.id_number,
        "name": r.name,
        "gender": r.gender,
        "birth_date": r.birth_date.isoformat(),
        "age": _age(r.birth_date, today),
        "phone": r.phone,
        "relation": r.relation,
        "hukou_district_code": r.hukou_district_code,
        "hukou_community_code": r.hukou_community_code,
        "disability_grade": r.disability_grade,
        "living_alone": r.living_alone,
        "benefits": r.benefits,
        "household": {
            "id": household.id,
            "community_code": household.community_code,
            "address": household.address,
            "monthly_income": household.monthly_income,
            "savings": household.savings,
            "vehicles": household.vehicles,
            "homes": household.homes,
            "members": [
                {
                    "id": m.id,
                    "id_number": m.id_number,
                    "name": m.name,
                    "gender": m.gender,
                    "relation": m.relation,
                    "age": _age(m.birth_date, today),
                    "disability_grade": m.disability_grade,
                }
                for m in household.members
            ],
        },
    }


@bp.get("/residents/by-openid/<openid>")
@contract.operation(
    "The registry entry of the resident a sender id is bound to (实名绑定): hukou, disability grade, benefits, "
    "household income and assets",
    path={"openid": "the sender id (WeChat openid)"},
    responses={200: ("the resident and their household", schemas.Resident)},
    errors={404: "not_bound"},
)
def by_openid(openid: str):
    resident = resident_for_openid(session(), openid)
    if resident is None:
        raise ApiError(404, "not_bound", "这个微信号还没有实名绑定")
    return jsonify(resident_json(resident))
