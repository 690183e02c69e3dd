"""Progress of the resident's own applications only: the sender's bound identity decides what
they may see, and a case number that is not theirs is answered exactly like one that does not exist.
A question that names no kind of application is answered with all of them (actions/applications.py)."""

from __future__ import annotations

from typing import Any

from actions import applications, identity, services
from actions.assistance import parsing
from actions.dispatcher import Dispatcher
from actions.executor import action
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable

SHOWN = 3  # most recent applications listed when no case number is given


def _describe(case: dict[str, Any]) -> str:
    who = "本人" if case["applicant"]["relation"] == "本人" else case["applicant"]["relation"]
    line = f"编号 {case['case_no']}（{case['type']}，申请人：{who}）\n现在：{case['status_text']}。"
    if case["status_reason"]:
        line += f"\n原因：{case['status_reason']}"
    if case["next_step"]:
        line += f"\n下一步：{case['next_step']}"
    return line + f"\n有问题可以找社区救助顾问{case['advisor']['name']}，电话 {case['advisor']['phone']}。"


@action("action_assistance_progress")
def progress(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """The intent is the general progress question too (进度, 我的申请怎么样了): unless it names social
    assistance or gives a case number, every application the resident has is told (actions/applications.py)."""
    client = services.backoffice()
    case_no = next((m.group(0).upper() for m in parsing.CASE_NO_RE.finditer(tracker.latest_text)), None)
    try:
        if not case_no and not parsing.names_assistance(tracker.latest_text):
            dispatcher.utter(applications.told(applications.of(tracker.sender_id)))
            return []
        if case_no:
            cases = [client.get(f"/assistance/applications/{case_no}", openid=tracker.sender_id)]
        else:
            cases = client.get("/assistance/applications", openid=tracker.sender_id)["applications"]
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return []
    except BackofficeError as exc:
        if exc.code == identity.NOT_BOUND:
            identity.ask_to_verify(dispatcher, "/assistance_progress", "申请进度查询")
        else:  # not found, or not theirs: the same answer either way
            dispatcher.utter(response="utter_assistance_progress_not_found", case_no=case_no or "")
        return []
    if not cases:
        dispatcher.utter(response="utter_assistance_progress_none")
        return []
    dispatcher.utter(response="utter_assistance_progress", cases="\n\n".join(_describe(c) for c in cases[:SHOWN]))
    return []
