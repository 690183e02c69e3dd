"""Issue 22 through the real stack, as a verified WeChat resident whose application is typed (the back-office could
not say who they are when it started, so the committee is asked): "长寿路街道西康居委会" is 西康居委会, not the street
(the form took the street, said "没有找到这个居委会" and asked again the same way for ever); "不知道居委会叫啥" gets a
way on; and a question answered twice without effect is put another way, with a person offered."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.assistance.models import Application
from tests.eldercare.chat import wechat

pytestmark = pytest.mark.stack


def test_the_committee_inside_the_street_is_taken_and_not_knowing_it_has_a_way_on(
    live_stack, backoffice_process, backoffice_db, verified
):
    openid, me = verified("Place")
    backoffice_process.stop()
    try:
        assert "给您本人办，还是替家里人办" in wechat(live_stack, openid, "我想申请低保")
    finally:
        backoffice_process.start()
    assert "身份证" in wechat(live_stack, openid, "给我自己办")
    assert "手机" in wechat(live_stack, openid, me.id_number)
    assert "居委会" in wechat(live_stack, openid, me.phone)
    dont_know = wechat(live_stack, openid, "不知道居委会叫啥")
    assert "没有找到" not in dont_know and "哪个街道" in dont_know
    listed = wechat(live_stack, openid, "长寿路街道")  # a street alone: its committees, to pick by number
    assert "长寿路街道有下面这几个居委会" in listed and "西康居委会" in listed and "普雄居委会" in listed
    hardship = wechat(live_stack, openid, "长寿路街道西康居委会")  # street and committee: the committee
    assert "没有找到" not in hardship and "困难" in hardship
    assert "经济状况核对" in wechat(live_stack, openid, "老伴走了以后一直没有收入，看病也花钱")

    once = wechat(live_stack, openid, "我看不懂这个")
    twice = wechat(live_stack, openid, "我看不懂这个")
    assert "没法提交" in once and "找工作人员" not in once  # said why, asked again the same way
    assert "找工作人员" in twice and "不同意的话申请就没法提交" in twice  # then another way, with a person
    read_back = wechat(live_stack, openid, "同意")
    assert "居委会：西康居委会" in read_back
    assert "申请编号" in wechat(live_stack, openid, "对")
    with Session(backoffice_db) as sess:
        [case] = sess.scalars(select(Application).where(Application.submitted_by_openid == openid))
        assert case.community_code == "310107015002"  # 西康居委会 (backoffice/seed/region.yaml)
