"""The campaign's message as staff write it: the notice checked field by field against WeChat's rules
while they type, the conversation a reply starts chosen in words (never intent syntax), and the
campaign's page telling its audience and its reply in plain Chinese."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from backoffice.assistance.models import TYPES
from tests.admin.test_admin_pages import _campaign
from web.policy import describe, message, rules
from web.policy.admin import FORM_DEFAULTS
from web.policy.models import PolicyCampaign

pytestmark = pytest.mark.usefixtures("redis_client")
BOT = Path(__file__).resolve().parents[2] / "bot" / "domain"
PAYLOAD = re.compile(r"^/([a-z_]+)(\{.*\})?$")


def test_every_flow_is_a_conversation_the_bot_knows_named_in_words():
    listed = yaml.safe_load((BOT / "intents.yml").read_text(encoding="utf-8"))["intents"]
    intents = {i if isinstance(i, str) else next(iter(i)) for i in listed}  # "name" or {name: {options}}
    assert message.flows()
    for flow in message.flows().values():
        intent, entities = PAYLOAD.match(flow.payload).groups()
        assert intent in intents, flow
        for name, value in json.loads(entities or "{}").items():
            assert name == "assistance_type" and value in TYPES, flow
        assert not re.search(r"[/{}_a-z]", flow.label), flow.label  # words, not syntax
        assert set(flow.benefits) <= set(rules.vocabulary()["benefits"]), flow


def test_the_defaults_have_no_field_wechat_removed():
    fields = json.loads(FORM_DEFAULTS["template_fields"])
    assert not {"first", "remark"} & set(fields)
    assert set(fields) == set(message.template_for(FORM_DEFAULTS["template_id"]).fields)


def test_each_field_is_checked_as_the_resident_will_see_it(app, signed_in):
    boss, token = signed_in("boss")
    too_long = "{name}您好，您家可能符合高龄津贴的申请条件"
    answer = boss.post(
        "/admin/campaigns/notice",
        json={
            "template_id": "TPL_notice_policy",
            "benefit": "高龄津贴",
            "fields": {"thing1": "{benefit}", "thing2": too_long},
        },
        headers={"X-CSRFToken": token},
    ).json
    assert answer["title"] == "政策告知提醒"
    rows = {r["key"]: r for r in answer["rows"]}
    assert rows["thing1"]["shown"] == "高龄津贴" and rows["thing1"]["problems"] == []
    assert rows["thing2"]["shown"] == too_long.replace("{name}", message.SAMPLE_NAME)
    assert rows["thing2"]["length"] == len(too_long) - len("{name}") + 4  # a name counts as four characters
    assert any("20 个字以内" in p for p in rows["thing2"]["problems"])
    assert rows["thing3"]["problems"] == ["请填写“办理方式”"]
    assert rows["thing1"]["label"] == "政策名称"


def test_the_reply_is_chosen_in_words_and_the_page_says_it_in_words(app, sessions, signed_in):
    boss, token = signed_in("boss")
    form = {**_campaign(), "apply_flow": "nonsense", "csrf_token": token, "action": "save"}
    refused = boss.post("/admin/campaigns/new", data=form)
    assert refused.status_code == 400 and "请从列表里选择" in refused.get_data(as_text=True)
    form["apply_flow"] = "assistance_temporary"
    form["rule"] = '{"all": [{"age": {"gte": 80}}, {"benefit": {"not_held": ["高龄津贴", "低保"]}}]}'
    saved = boss.post("/admin/campaigns/new", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with sessions() as sess:
        c = sess.scalars(select(PolicyCampaign)).one()
        assert c.apply_payload == '/assistance_apply{"assistance_type": "临时救助"}'
    page = boss.get(saved.headers["Location"]).get_data(as_text=True)
    assert "回复“申请”后：申请临时救助" in page and "assistance_apply" not in page
    assert "年满80岁" in page and "没有享受低保、高龄津贴" in page and '"gte"' not in page


def test_a_rule_in_plain_chinese():
    rule = rules.parse(
        {
            "all": [
                {"hukou_district": {"in": ["310107"]}},
                {"any": [{"age": {"lt": 16}}, {"disability_grade": {"in": [1, 2]}}]},
                {"per_capita_income": {"lte_standard": 1.5}},
                {"per_capita_savings": {"lte": 48000}},
                {"event": {"kind": "disaster", "within_days": 90, "min_amount": 1000}},
                {"hukou_community": {"not_in": ["长寿居委会"]}},
            ]
        }
    )
    assert describe.lines(rule, {"310107": "普陀区"}) == [
        "以下条件全部满足：",
        "　　户籍区是普陀区",
        "　　以下条件满足任意一条：",
        "　　　　不满16岁",
        "　　　　残疾等级是一级、二级中的一个",
        "　　家庭人均月收入不高于户籍所在区低保标准的1.5倍",
        "　　家庭人均存款不超过48000元",
        "　　近90天内遭遇灾害或意外，金额不少于1000元",
        "　　户籍居委/村委不是长寿居委会",
    ]
