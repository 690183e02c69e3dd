"""Issue 22's NLU gaps, through the real model: a bare answer to a form's question (an ID number, a name, a count,
an amount, a place, whom an application is for) is intent ``inform``, never a goodbye, a yes or a request for a
person; a typed confirmation is a yes; "how do I do 实名认证" has an answer. The messages are written for this test
(not in nlu_data/, not in the held-out set, not in the conversation suite)."""

from __future__ import annotations

import pytest
import requests

from tests.marriage.test_conversations import Resident
from tools.nlu_eval import parse_text, predicted_intent

pytestmark = pytest.mark.stack

BARE_ANSWERS = [
    "310115198203154413",  # a valid ID number (GB 11643 checksum)
    "身份证是310104197712250012",
    "冯秋菊",
    "对方叫潘志勇",
    "我们家五口",
    "每月两千三左右",
    "存款三万多",
    "有一部小车",
    "户口在普陀",
    "替我老爹办",
]
NEVER = {"goodbye", "affirm", "deny", "stop", "human_handoff", "complain"}


def parse(live_stack, text: str) -> str:
    with requests.Session() as session:
        return predicted_intent(parse_text(session, live_stack.url("rasa"), text, live_stack.env["RASA_TOKEN"]))


@pytest.mark.parametrize("text", BARE_ANSWERS)
def test_a_bare_answer_is_not_read_as_a_goodbye_a_yes_or_a_request(live_stack, text):
    assert parse(live_stack, text) not in NEVER


def test_most_bare_answers_are_inform(live_stack):
    intents = [parse(live_stack, text) for text in BARE_ANSWERS]
    assert intents.count("inform") >= 8, list(zip(BARE_ANSWERS, intents, strict=True))


@pytest.mark.parametrize("text", ["确定 取消它", "对的 确认预约", "好呀 帮我申请吧"])
def test_a_typed_confirmation_is_a_yes(live_stack, text):
    assert parse(live_stack, text) == "affirm"


def test_how_to_verify_is_answered_with_where_to_do_it(live_stack):
    reply = Resident(live_stack, "howverify").say("请问实名认证要到哪里去做")
    assert "我的 → 实名认证" in reply and "验证码" in reply
