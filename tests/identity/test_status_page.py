"""我的 → 实名认证 through the live stack: verify, see the binding masked, unbind, verify again."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import pytest
import requests
from sqlalchemy import select

from backoffice.residents.models import Resident, WechatBinding
from common.db import make_engine
from tests.identity.wechat_signin import verify

pytestmark = pytest.mark.stack


def _residents(live_stack, n: int):
    with make_engine(live_stack.env["BACKOFFICE_DATABASE_URL"]).connect() as conn:
        bound = select(WechatBinding.resident_id)
        return conn.execute(
            select(Resident.id, Resident.name, Resident.id_number, Resident.phone)
            .where(Resident.phone != "", Resident.id.not_in(bound))
            .order_by(Resident.id)
            .limit(n)
        ).all()


def _binding(live_stack, openid: str) -> requests.Response:
    return requests.get(
        f"{live_stack.url('backoffice')}/identity/bindings/{openid}",
        timeout=30,
        headers={"Authorization": f"Bearer {live_stack.env['BACKOFFICE_TOKEN']}"},
    )


def test_a_resident_verifies_from_the_menu_unbinds_and_another_person_verifies_on_the_phone(live_stack):
    first, second = _residents(live_stack, 2)
    openid = "oMenu" + uuid.uuid4().hex[:10]
    verify(live_stack, openid, first)
    assert _binding(live_stack, openid).json()["resident_id"] == first.id

    phone = requests.Session()
    status = phone.get(
        f"{live_stack.env['WECHAT_OPEN_BASE']}/standin/open?openid={openid}"
        f"&url={quote(live_stack.url('web') + '/identity/')}",
        timeout=30,
    )
    assert 'id="bound"' in status.text and first.name[0] + "*" in status.text and first.id_number not in status.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', status.text).group(1)
    assert (
        phone.post(live_stack.url("web") + "/identity/unbind", data={}, timeout=30).status_code == 400
    )  # no CSRF token
    after = phone.post(live_stack.url("web") + "/identity/unbind", data={"csrf_token": csrf}, timeout=30)
    assert 'id="not-bound"' in after.text
    assert _binding(live_stack, openid).status_code == 404

    verify(live_stack, openid, second)
    assert _binding(live_stack, openid).json()["resident_id"] == second.id
