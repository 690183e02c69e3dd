"""Issue 22 through the real stack, as verified WeChat residents: an ID number at the read-back is a correction
(it got "好的，再见！" and the read-back again), and the other party's ID number refused twice is asked another way,
then a person takes over (the resident's own number given for the other party got "两个人的身份证号是同一个" seven
times in a row). No question is put a third time the same way (actions/forms.py, docs/nlu.md)."""

from __future__ import annotations

import time

import pytest

from common.masking import mask_id_number
from tests.marriage.people import person
from tests.marriage.test_conversations import Resident, book_up_to_confirmation, mine, open_days, typed
from tests.waiting import wait_for

pytestmark = pytest.mark.stack


def test_an_id_number_at_the_read_back_corrects_the_other_party_and_never_says_goodbye(live_stack):
    r = Resident.verified(live_stack, "idback", "男")
    first, second = person("女", 29, "陈静"), person("女", 29, "陈静")
    summary = book_up_to_confirmation(r, open_days(live_stack)[3], first)
    assert "请核对" in summary and mask_id_number(first.id_number) in summary
    corrected = r.say(second.id_number)
    assert "再见" not in corrected
    assert "改成" in corrected and "请核对" in corrected and mask_id_number(second.id_number) in corrected
    assert second.id_number not in corrected
    again = r.say(second.id_number)  # the same number once more: already held
    assert "再见" not in again and "已经记好了" in again and "确认" in again
    own = r.say(r.record.id_number)  # their own number: already the registry's, nothing to change
    assert "再见" not in own and "本人的身份证号" in own and "确认" in own
    done = r.say("确认")
    assert "预约成功" in done
    (appointment,) = mine(live_stack, r)
    assert [p["id_number"] for p in appointment["parties"]] == [
        mask_id_number(r.record.id_number),
        mask_id_number(second.id_number),
    ]


def test_the_residents_own_id_for_the_other_party_is_asked_another_way_then_a_person_helps(live_stack):
    r = Resident.verified(live_stack, "sameid", "男")
    r.confirm_self("你好，我想预约结婚登记")
    r.say("普陀区婚姻登记中心")
    r.say(typed(open_days(live_stack)[2], "上午"))
    assert "身份证" in r.say("王芳")
    once, twice = r.say(r.record.id_number), r.say(r.record.id_number)
    assert "和您本人的身份证号是同一个" in once and "对了几遍" not in once  # said why; asked the same way
    assert "对了几遍" in twice and "不是您自己的" in twice  # the third time: another way, saying why and what to send
    assert "找工作人员帮忙" in twice  # and a person is offered
    thrice = r.say(r.record.id_number)
    assert "对了几遍" in thrice and "找工作人员帮忙" in thrice  # the other way once more, never the first way again
    sent = time.time() - 0.01
    fourth = r.stack.wechat.send_text(r.openid, r.record.id_number)  # still stuck: a person takes over

    def answer() -> str | None:  # the passive reply, or (slower than its budget) the bot's turn in the tracker
        later = [e.get("text") or "" for e in r.events() if e["event"] == "bot" and e["timestamp"] >= sent]
        return fourth.reply or "\n".join(later) or None

    handed_over = wait_for(answer, 30, "no answer to the fourth refused ID number")
    assert "请工作人员来帮您" in handed_over and "对了几遍" not in handed_over
    assert mine(live_stack, r) == []


def test_a_phone_number_with_no_errand_gets_help_not_goodbye(live_stack):
    r = Resident(live_stack, "phone")
    reply = r.say("我手机是 138 1234 5678")
    assert "再见" not in reply and "138****5678" in reply and "13812345678" not in reply
    assert "预约结婚登记" in reply  # what the resident can do next
    assert "再见" in Resident(live_stack, "bye").say("好的再见")


def test_someone_elses_name_at_is_it_you_is_not_a_yes_and_ones_own_name_is(live_stack):
    """A name typed at "预约的当事人是您本人……对吗？" was read as yes by the NLU (affirm), whoever it named."""
    r = Resident.verified(live_stack, "selfname", "男")
    reply = r.say("你好，我想预约结婚登记")
    assert "本人" in reply
    other = "王芳" if r.record.name != "王芳" else "李娜"
    not_yet = r.say(other)
    assert "本人" in not_yet and "登记处" not in not_yet  # asked again who it is for: not taken as the resident's yes
    assert "登记处" in r.say(r.record.name)  # their own name is a yes: on to the office
