"""A change as the resident reads it (web/status_updates/messages.py): the texts, and the short fields
kept to WeChat's rules in every channel's shape."""

from __future__ import annotations

from web.status_updates.messages import Change, notice_for
from web.wechat_api.rules import notice_problems, template_problems

APPOINTMENT = {
    "what": "结婚登记",
    "date": "2026-12-09",
    "date_label": "12月9日（周三）",
    "start": "09:00",
    "end": "09:30",
    "office": "普陀区婚姻登记处",
    "address": "普陀区大渡河路1668号",
    "office_phone": "021-52564588",
}


def change(kind: str, status: str, data: dict) -> Change:
    return Change.from_json(
        {
            "id": 7,
            "domain": "marriage",
            "kind": kind,
            "ref": "HY26120900042",
            "recipient": "oX",
            "status": status,
            "data": data,
            "at": "2026-12-08T10:00:05",
        }
    )


def test_the_day_before_reminder():
    notice = notice_for(change("reminder", "booked", APPOINTMENT))
    assert notice.text.startswith(
        "您好，提醒您：明天 12月9日（周三） 09:00—09:30，您预约了在普陀区婚姻登记处办理结婚登记"
    )
    assert "普陀区大渡河路1668号" in notice.text and "取消预约" in notice.text
    assert notice.notice_values["time2"] == "2026年12月9日 09:00~09:30"
    assert not notice_problems(notice.notice_values) and not template_problems(notice.template.data)


def test_a_cancellation_by_the_office_says_why_and_what_to_do():
    notice = notice_for(change("cancelled", "cancelled", {**APPOINTMENT, "reason": "系统升级停办"}))
    assert "因为系统升级停办取消了" in notice.text and "021-52564588" in notice.text
    assert notice.notice_values["thing4"] == "系统升级停办"
    assert not notice_problems(notice.notice_values) and not template_problems(notice.template.data)


def test_a_long_reason_stays_in_the_text_and_out_of_the_short_fields():
    reason = "经核对，家庭人均收入高于本区最低生活保障标准，且名下有一辆非残疾人代步用机动车"
    notice = notice_for(
        Change.from_json(
            {
                "id": 8,
                "domain": "assistance",
                "kind": "status",
                "ref": "JZ2026112300012",
                "recipient": "oX",
                "status": "不予批准",
                "at": "2026-12-08T10:00:05",
                "data": {
                    "what": "支出型贫困申请",
                    "status_text": "这次申请没有批准",
                    "next_step": "可以申请复核",
                    "reason": reason,
                },
            }
        )
    )
    assert reason in notice.text and "接下来：可以申请复核。" in notice.text
    assert notice.notice_values["phrase2"] == "未批准" and notice.notice_values["thing4"] == "有疑问可回复公众号"
    assert not notice_problems(notice.notice_values) and not template_problems(notice.template.data)


def test_an_unknown_kind_is_not_told():
    assert notice_for(change("rebooked", "booked", APPOINTMENT)) is None


def test_a_waiting_list_place_become_a_booking_in_every_channels_shape():
    booked = Change.from_json(
        {
            "id": 9,
            "domain": "cemetery",
            "kind": "waitlist_booked",
            "ref": "JS26122100042",
            "recipient": "oX",
            "status": "booked",
            "at": "2026-12-18T10:00:05",
            "data": {
                "date": "2026-12-21",
                "date_label": "12月21日（周一）",
                "start": "09:00",
                "end": "11:00",
                "cemetery": "宝山区罗店公墓",
                "gate": "东门",
                "people": 3,
                "gate_url": "https://bo.example/cemetery/gate/abc",
            },
        }
    )
    notice = notice_for(booked)
    assert (
        "已经帮您约好：12月21日（周一） 09:00—11:00，从宝山区罗店公墓东门进，一共3个人，预约号 JS26122100042"
        in notice.text
    )
    assert "https://bo.example/cemetery/gate/abc" in notice.text and "取消扫墓预约" in notice.text
    assert notice.notice_values["time2"] == "2026年12月21日 09:00~11:00"
    assert notice.page == notice.template.url == "https://bo.example/cemetery/gate/abc"
    assert not notice_problems(notice.notice_values) and not template_problems(notice.template.data)
