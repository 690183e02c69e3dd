"""Eldercare conversations through the real web app, Rasa, action server and back-office."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from backoffice.residents.models import Resident
from tests.eldercare.chat import backoffice, bind, say, wechat

pytestmark = pytest.mark.stack

CAOYANG_PARK = (31.2440, 121.4125)


def sender() -> str:
    return "elder-" + uuid.uuid4().hex[:8]


def names(stack, **params) -> list[str]:
    return [f["name"] for f in backoffice(stack, "GET", "/eldercare/facilities", params=params).json()["facilities"]]


def test_a_location_message_finds_the_nearest_and_more_pages_on(live_stack):
    me = sender()
    reply = say(live_stack, me, '/eldercare_find{"service_type": "助餐", "latitude": 31.244, "longitude": 121.4125}')
    expected = names(live_stack, type="助餐", lat=CAOYANG_PARK[0], lng=CAOYANG_PARK[1], limit=6)
    assert "离您发的位置最近的长者食堂" in reply.text
    assert all(name in reply.text for name in expected[:3]) and not any(name in reply.text for name in expected[3:])
    assert "米" in reply.text and "电话" in reply.text and "更多" in reply.text
    assert {"title": "更多", "payload": "/eldercare_more"} in reply.buttons
    page2 = say(live_stack, me, "/eldercare_more")
    assert all(name in page2.text for name in expected[3:6]) and expected[0] not in page2.text
    page3 = say(live_stack, me, "还有吗")  # typed, not the button
    assert "长者食堂" in page3.text and expected[3] not in page3.text


def test_a_wechat_location_message(live_stack):
    openid = "oLoc" + uuid.uuid4().hex[:10]
    wechat(live_stack, openid, "附近有养老院吗")
    text = wechat(live_stack, openid, location=CAOYANG_PARK)
    homes = names(live_stack, type="养老院", lat=CAOYANG_PARK[0], lng=CAOYANG_PARK[1], limit=3)
    assert homes[0] in text and "空床" in text


def test_asks_what_and_where_then_finds_by_community_and_landmark(live_stack):
    me = sender()
    ask_type = say(live_stack, me, "/eldercare_find")
    assert "哪一类" in ask_type.text and len(ask_type.buttons) == 5
    ask_place = say(live_stack, me, '/eldercare_find{"service_type": "养老院"}')
    assert "位置" in ask_place.text and "街道" in ask_place.text
    found = say(live_stack, me, '/eldercare_find{"community": "长风新村"}')
    assert "离长风新村街道最近的养老院" in found.text
    assert names(live_stack, type="养老院", place="长风新村", limit=3)[0] in found.text
    by_text = say(live_stack, me, "曹杨新村附近有没有长者食堂")
    assert "离曹杨新村街道最近的长者食堂" in by_text.text
    same_place = say(live_stack, me, '/eldercare_find{"service_type": "日间照料"}')  # no new place: the last one stands
    assert "离曹杨新村街道最近的日间照料中心" in same_place.text
    by_landmark = say(live_stack, me, "长风公园旁边有长者食堂吗")
    assert "离长风公园最近的长者食堂" in by_landmark.text


def test_a_bound_resident_is_searched_from_home(live_stack):
    text = wechat(live_stack, "oDEMO_resident_0001", "附近有没有日间照料中心")
    assert "您家（" in text and "日间照料中心" in text


def test_live_beds_change_the_answer(live_stack):
    here = {"type": "养老院", "lat": 31.2262, "lng": 121.396, "limit": 3}
    first = backoffice(live_stack, "GET", "/eldercare/facilities", params=here).json()["facilities"][0]
    assert first["free_beds"] > 0  # places with a free bed come first
    level = first["beds"][-1]["level"]
    me = sender()
    backoffice(
        live_stack,
        "PUT",
        f"/eldercare/facilities/{first['code']}/beds",
        json={"beds": [{"level": b["level"], "free": 0} for b in first["beds"]]},
    )
    full = say(live_stack, me, '/eldercare_find{"service_type": "养老院", "latitude": 31.2262, "longitude": 121.396}')
    assert not full.text.split("\n\n")[1].startswith(f"1. {first['name']}")
    backoffice(
        live_stack, "PUT", f"/eldercare/facilities/{first['code']}/beds", json={"beds": [{"level": level, "free": 4}]}
    )
    free = say(live_stack, me, '/eldercare_find{"service_type": "养老院", "latitude": 31.2262, "longitude": 121.396}')
    listed = free.text.split("\n\n")[1]
    assert listed.startswith(f"1. {first['name']}") and f"{level} 4 张" in listed


def test_allowance_for_a_district_and_for_a_bound_elder(live_stack):
    general = say(live_stack, sender(), '/eldercare_allowance{"district": "宝山区"}')
    for part in (
        "宝山区老年综合津贴",
        "65-69岁每月 75 元",
        "100岁以上每月 600 元",
        "身份证",
        "社区事务受理服务中心",
        "依据",
        "养老服务补贴",
    ):
        assert part in general.text, part
    openid = "oAllow" + uuid.uuid4().hex[:8]
    bind(live_stack, openid, Resident.birth_date < date(date.today().year - 81, 1, 1))
    engine_rows = backoffice(live_stack, "GET", "/eldercare/allowances", params={"openid": openid}).json()["household"]
    me = next(m for m in engine_rows if m["self"])
    text = wechat(live_stack, openid, "我的高龄津贴能领多少")
    assert f"您本人（{me['age']}岁）：每月 {me['monthly_amount']} 元" in text
    assert ("已经在领了" if me["receiving"] else "还没有在领") in text


def test_ltc_explain_apply_and_progress(live_stack):
    openid = "oLtc" + uuid.uuid4().hex[:8]
    bind(live_stack, openid, Resident.birth_date < date(date.today().year - 75, 1, 1))
    # WeChat residents type words (typed /intent syntax is words there too: web/texts/choices.as_words).
    explained = wechat(live_stack, openid, "我爸躺在床上动不了了那个长护险要怎么弄啊")
    for part in ("长期护理保险", "60 周岁", "2、3级", "每周上门 3 次", "90%", "要我现在帮您申请长护险评估吗"):
        assert part in explained, part
    applied = wechat(live_stack, openid, "好的")
    assert "已经帮您提交了长护险评估申请，编号 CH" in applied and "没太明白" not in applied  # no fallback after it
    reference = applied.split("编号 ")[1].split("。")[0]
    progress = wechat(live_stack, openid, "长护险评估进度怎么样了")
    assert reference in progress and "评估机构会打电话" in progress
    backoffice(
        live_stack, "POST", f"/eldercare/applications/{reference}/status", json={"status": "assessed", "level": 4}
    )
    done = wechat(live_stack, openid, "我爸躺在床上动不了了那个长护险要怎么弄啊")
    assert "评估已完成" in done and "照护4级" in done and "每周上门 5 次" in done


def test_retrofit_unbound_is_told_where_to_go_and_bound_can_decline(live_stack):
    me = sender()
    info = say(live_stack, me, "/eldercare_home_retrofit")
    for part in ("适老化改造", "扶手", "低保", "3000 元", "要我现在帮您申请适老化改造吗"):
        assert part in info.text, part
    refused = say(live_stack, me, "/affirm")
    assert "先确认是您本人" in refused.text and "微信公众号" in refused.text  # the web chat cannot verify anyone
    openid = "oRetro" + uuid.uuid4().hex[:8]
    bind(live_stack, openid, Resident.birth_date < date(date.today().year - 70, 1, 1))
    mine = wechat(live_stack, openid, "家里卫生间想装个扶手")
    assert "按您家的情况" in mine
    declined = wechat(live_stack, openid, "先不用")
    assert "先不申请" in declined
    assert (
        backoffice(live_stack, "GET", "/eldercare/applications", params={"openid": openid}).json()["applications"] == []
    )
