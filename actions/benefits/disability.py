"""残疾人两项补贴: the pre-check read from the registry (nothing asked), the offer to apply read back for a yes,
progress. Only a verified resident sees their household's records or applies (实名认证)."""

from __future__ import annotations

from typing import Any

from actions import events, identity, services
from actions.assistance import parsing
from actions.benefits import common
from actions.dispatcher import Dispatcher
from actions.executor import action
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable

TITLES = {"disability_living": "困难残疾人生活补贴", "disability_care": "重度残疾人护理补贴"}
GRADES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
STATUS_WORDS = {
    "低保": "家里是低保",
    "低收入": "家里是低收入家庭",
    "特困供养": "家里是特困供养",
    "无": "家里不是低保、低收入",
}
OFFER, MEMBER = "disability_offer", "disability_member"
OFFERED_BY = (
    "action_disability_check",
    "action_disability_apply",
    "action_disability_offer_reply",
)  # an offer read back, or asked again
SUBMIT = "现在就帮您提交吗？"
SUBMIT_BUTTONS = [{"title": "对，提交", "payload": "/affirm"}, {"title": "先不用", "payload": "/deny"}]
CHECK_RESUME = ("/disability_subsidy_eligibility", "残疾人两项补贴查询")
APPLY_RESUME = ("/disability_subsidy_apply", "残疾人两项补贴申请")


def _precheck(dispatcher: Dispatcher, tracker: Tracker, resume: tuple[str, str]) -> dict[str, Any] | None:
    """The household's records against both subsidies; None after saying why not (unverified, or down)."""
    try:
        return services.backoffice().get("/benefits/disability/precheck", openid=tracker.sender_id)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
    except BackofficeError as exc:
        if exc.code != identity.NOT_BOUND:
            raise
        dispatcher.utter(_standards_text())
        identity.ask_to_verify(dispatcher, *resume)
    return None


def _standards_text() -> str:
    """The amounts for anyone, before verification: what the two subsidies are and pay."""
    s = services.backoffice().get("/benefits/disability/standards")
    living = "；".join(
        f"{status}家庭一、二级每月{m['1']}元，三、四级每月{m['3']}元" for status, m in s["living"]["monthly"].items()
    )
    care = s["care"]["monthly"]
    lower = "、".join(s["care"]["lower_grades_categories"])
    return (
        "残疾人两项补贴是：\n"
        f"· {s['living']['title']}：持残疾证、家里是低保或低收入的，{living}。\n"
        f"· {s['care']['title']}：一级每月{care['1']}元，二级每月{care['2']}元，三、四级的{lower}残疾每月{care['3']}元。\n"
        f"（依据：{s['source']}）\n要看您家能不能领、能领多少，我得先确认是您本人，认证以后直接按户籍登记里的残疾证帮您查。"
    )


def _who(member: dict[str, Any]) -> str:
    grade = f"{member['category']}{GRADES[member['grade']]}" if member["category"] else GRADES[member["grade"]]
    name = "您本人" if member["self"] else f"您家{member['name']}"
    return f"{name}（{grade}残疾，{STATUS_WORDS.get(member['household_status'], '')}）"


def _eligible(member: dict[str, Any]) -> list[str]:
    return [p for p, s in member["subsidies"].items() if s["eligible"]]


def _can_apply(member: dict[str, Any]) -> bool:
    return bool(_eligible(member)) and not member["receiving"] and not member["open_cases"]


def _member_text(member: dict[str, Any]) -> str:
    """Whether each subsidy is likely, with its amount once (or why not), for an 80-year-old to read."""
    if member["receiving"]:
        return _who(member) + "：已经在领两项补贴了，不用再申请。"
    lines = [_who(member) + "："]
    for programme, answer in member["subsidies"].items():
        verdict = f"应该可以领，每月{answer['monthly']}元。" if answer["eligible"] else answer["reasons"][0]["text"]
        lines.append(f"· {TITLES[programme]}：{verdict}")
    if member["open_cases"]:
        lines.append(f"已经有申请在办（编号 {'、'.join(member['open_cases'])}），说“两项补贴申请进度”可以查。")
    return "\n".join(lines)


def _apply_button(member: dict[str, Any]) -> dict[str, str]:
    who = "我本人" if member["self"] else member["name"]
    return {"title": f"帮{who}申请", "payload": f'/disability_subsidy_apply{{"disability_member": "{member["id"]}"}}'}


@action("action_disability_check")
def check(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """Short and plain: for each member, whether each subsidy is likely and how much (once), then the next
    step. What to bring is told once the application is made (its answer lists the documents)."""
    found = _precheck(dispatcher, tracker, CHECK_RESUME)
    if found is None:
        return []
    if not found["members"]:
        dispatcher.utter("户籍登记里您家还没有残疾人证的记录。" + found["no_record"]["reasons"][0]["text"])
        return []
    text = "\n\n".join(_member_text(m) for m in found["members"]) + "\n" + found["caveat"]
    applicable = [m for m in found["members"] if _can_apply(m)]
    if len(applicable) == 1:  # a yes applies, as after the read-back
        return _ask_to_submit(dispatcher, text + "\n\n", applicable[0])
    if mine := [m for m in applicable if m["self"]]:  # the resident's own; the others for later
        return _ask_to_submit(dispatcher, text + "\n\n" + _others_later(applicable), mine[0])
    if applicable:
        text += "\n\n要我现在帮您申请吗？"
    dispatcher.utter(text, buttons=[_apply_button(m) for m in applicable])
    return []


def _others_later(applicable: list[dict[str, Any]]) -> str:
    """The other members who can apply, named for after the resident's own application."""
    others = "、".join(_who(m) for m in applicable if not m["self"])
    return f"{others}也可以申请，这份办好以后说“帮家里人申请两项补贴”就行。\n\n"


def _named(text: str) -> set[str]:
    """The one subsidy a message names (我要申请重度残疾人护理补贴), or both."""
    care, living = "护理" in text, "生活补贴" in text
    if care != living:
        return {"disability_care" if care else "disability_living"}
    return set(TITLES)


def _offer(
    dispatcher: Dispatcher,
    lead: str,
    member: dict[str, Any],
    documents: dict[str, Any],
    wanted: set[str] | frozenset[str] = frozenset(TITLES),
) -> list[dict]:
    """What would be applied for, for whom, and what to bring, with 对，提交 / 先不用: a yes submits it."""
    programmes = [p for p in _eligible(member) if p in wanted] or _eligible(member)
    items = "\n".join(f"· {TITLES[p]}：每月{member['subsidies'][p]['monthly']}元" for p in programmes)
    needed = list(dict.fromkeys(d["name"] for p in programmes for d in documents[p]))
    dispatcher.utter(
        f"{lead}帮{_who(member)}申请：\n{items}\n\n审核时要看这些材料：{'、'.join(needed)}。\n\n{SUBMIT}",
        buttons=SUBMIT_BUTTONS,
    )
    return _offered(member, programmes)


def _ask_to_submit(dispatcher: Dispatcher, told: str, member: dict[str, Any]) -> list[dict]:
    """After the pre-check has told what ``member`` can get: the same offer, without saying it again."""
    dispatcher.utter(told + SUBMIT, buttons=SUBMIT_BUTTONS)
    return _offered(member, _eligible(member))


def _offered(member: dict[str, Any], programmes: list[str]) -> list[dict]:
    return [events.slot_set(OFFER, "apply"), events.slot_set(MEMBER, f"{member['id']}|{','.join(programmes)}")]


def _chosen(tracker: Tracker, members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    picked = {str(v) for v in tracker.entity_values(MEMBER)}
    return [m for m in members if str(m["id"]) in picked] if picked else members


@action("action_disability_apply")
def apply(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """Read back what would be applied for, for whom, and what to bring; a yes submits it (offer_reply)."""
    reset = [events.slot_set(OFFER, None), events.slot_set(MEMBER, None)]
    found = _precheck(dispatcher, tracker, APPLY_RESUME)
    if found is None:
        return reset
    if not found["members"]:
        dispatcher.utter(
            "户籍登记里您家还没有残疾人证的记录，两项补贴暂时没法申请。" + found["no_record"]["reasons"][0]["text"]
        )
        return reset
    members = _chosen(tracker, found["members"])
    applicable = [m for m in members if _can_apply(m)]
    if not applicable:
        dispatcher.utter("\n\n".join(_member_text(m) for m in members) + "\n\n所以现在没有可以申请的。")
        return reset
    mine = [m for m in applicable if m["self"]]
    if (
        len(applicable) > 1
        and mine
        and not tracker.entity_values(MEMBER)
        and parsing.for_whom(tracker.latest_text) is None
    ):
        # "我要申请…" / "帮我申请…" naming no one else: for the resident, the others named for later
        return _offer(dispatcher, _others_later(applicable), mine[0], found["documents"], _named(tracker.latest_text))
    if len(applicable) > 1:
        lines = "\n".join(f"{i}. {_who(m)}" for i, m in enumerate(applicable, 1))
        dispatcher.utter(
            f"您家有几位可以申请，先帮哪一位申请？\n{lines}", buttons=[_apply_button(m) for m in applicable]
        )
        return reset
    return _offer(dispatcher, "", applicable[0], found["documents"], _named(tracker.latest_text))


@action("action_disability_offer_reply")
def offer_reply(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """The resident answers the read-back: yes applies for each subsidy (once per confirmation), no lets it be."""
    reset = [events.slot_set(OFFER, None), events.slot_set(MEMBER, None)]
    if common.answered(tracker, "action_disability_offer_reply"):
        return []  # predicted again for the same message (after an unclear yes): it was answered
    chosen = str(tracker.get_slot(MEMBER) or "")
    if "|" not in chosen and common.previous_bot_action(tracker) == "action_disability_offer_reply":
        dispatcher.utter("好的。还有别的要办的，直接跟我说就行。")  # 好的 after the answer: nothing is open
        return reset
    if "|" not in chosen or common.previous_bot_action(tracker) not in OFFERED_BY:
        dispatcher.utter(response="utter_default")
        return reset
    answer = parsing.yes_no(tracker.latest_text, tracker.latest_intent)
    if answer is None:  # neither: asked again, the offer still open
        dispatcher.utter(
            "不好意思，我没听明白。现在就帮您提交的话，回复“对”；先不申请，回复“不用”。",
            buttons=SUBMIT_BUTTONS,
        )
        return []
    if not answer:
        dispatcher.utter(response="utter_disability_offer_declined")
        return reset
    member_id, programmes = chosen.split("|", 1)
    made, saved = [], False
    for programme in programmes.split(","):
        body = {
            "programme": programme,
            "submitted_by_openid": tracker.sender_id,
            "member_id": int(member_id),
            "channel": str(tracker.metadata.get("channel", "")),
        }
        key = common.idempotency_key(tracker, programme)
        if saved:  # the back-office was not reached a moment ago: straight to the outbox, no waiting again
            common.keep(dispatcher, body, key, None)
            continue
        case = common.submit(dispatcher, tracker, body, key, "utter_disability_saved_for_later", APPLY_RESUME)
        if case is None:  # kept in the outbox, or refused with the reason told
            saved = any(m.get("custom", {}).get("outbox") for m in dispatcher.messages)
            continue
        made.append(case)
    if made:
        lines = "\n".join(f"· {c['title']}：编号 {c['case_no']}" for c in made)
        dispatcher.utter(
            f"申请已经提交了，请记下编号，查进度时用得上：\n{lines}\n\n"
            f"{common.documents(*made)}\n接下来：{made[0]['next_step']}。\n"
            "能不能批准，要等街镇审核、区里审批以后决定。"
        )
    return reset


@action("action_disability_progress")
def progress(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    return common.progress(dispatcher, tracker, "disability", "utter_disability_progress_none", "两项补贴申请进度查询")
