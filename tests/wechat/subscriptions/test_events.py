"""WeChat's subscription-notice events at the protocol edge: one <List> or several, typed at once."""

from __future__ import annotations

from tools.wechat_standin import message_xml, notice_list_xml
from web.channels.wechat_protocol import _typed


def _event(event: str, container: str, items: list[dict]) -> str:
    return message_xml(
        {
            "ToUserName": "gh_x",
            "FromUserName": "oEvents01",
            "CreateTime": 1764900000,
            "MsgType": "event",
            "Event": event,
            container: notice_list_xml(items),
        }
    )


def test_a_popup_with_several_templates_and_a_change_with_one():
    popup = _typed(
        _event(
            "subscribe_msg_popup_event",
            "SubscribeMsgPopupEvent",
            [
                {"TemplateId": "T1", "SubscribeStatusString": "accept", "PopupScene": 1},
                {"TemplateId": "T2", "SubscribeStatusString": "reject", "PopupScene": 1},
            ],
        )
    )
    assert [(n.template_id, n.status, n.scene) for n in popup.notices] == [("T1", "accept", "1"), ("T2", "reject", "1")]
    change = _typed(
        _event(
            "subscribe_msg_change_event",
            "SubscribeMsgChangeEvent",
            [{"TemplateId": "T1", "SubscribeStatusString": "reject"}],
        )
    )
    assert [(n.template_id, n.status) for n in change.notices] == [("T1", "reject")]


def test_two_sent_events_in_one_second_are_two_deliveries():
    def sent(msgid: int):
        return _typed(
            _event(
                "subscribe_msg_sent_event",
                "SubscribeMsgSentEvent",
                [{"TemplateId": "T1", "MsgID": msgid, "ErrorCode": 0, "ErrorStatus": "success"}],
            )
        )

    first, second = sent(1700000000000000001), sent(1700000000000000002)
    assert first.notices[0].msg_id == 1700000000000000001 and first.notices[0].status == "success"
    assert first.dedupe_key != second.dedupe_key  # same resident, same CreateTime: not taken for a retry
    assert first.dedupe_key == sent(1700000000000000001).dedupe_key  # WeChat's retry of the same one is
