"""Eldercare actions: find a place nearby, allowances, 长护险, 适老化改造, and applying for the last two."""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from actions import events, handbook, identity, services
from actions.dispatcher import Dispatcher
from actions.executor import action
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable
from common.simplified import simplified

SERVICE_TYPES = ("助餐", "日间照料", "养老院", "综合为老服务中心", "认知障碍照护")
LABELS = {
    "助餐": "长者食堂（助餐点）",
    "日间照料": "日间照料中心",
    "养老院": "养老院",
    "综合为老服务中心": "综合为老服务中心",
    "认知障碍照护": "认知障碍照护机构",
}
DESCRIBED = (  # a place described, not named ("老年人吃饭的地方"): the first type whose words the message has
    ("认知障碍照护", re.compile(r"痴呆|失智|认知|老是忘事|记性")),
    ("助餐", re.compile(r"吃饭|吃饭的|饭堂|食堂|午饭|中饭|助餐|送饭")),
    ("日间照料", re.compile(r"白天|日托|托老|日间")),
    ("养老院", re.compile(r"养老院|敬老院|住进去|床位|护理院")),
)
PAGE = 3
OFFERS = {"ltc_assessment": "action_eldercare_ltc", "home_retrofit": "action_eldercare_retrofit"}
KIND_NAMES = {"ltc_assessment": "长护险评估", "home_retrofit": "适老化改造"}
SCHEMES = {"ltc_assessment": "ltc", "home_retrofit": "home_retrofit"}
OFFER_INTENTS = {
    "ltc_assessment": "eldercare_ltc",
    "home_retrofit": "eldercare_home_retrofit",
}  # the offer starts again
YES_WORDS = re.compile(  # traditional characters too (幫我申請)
    r"^(要|好|是|对|對|行|可以|嗯|麻烦|麻煩|[帮幫]我|[请請]|申[请請]|[办辦])|[帮幫]我(申[请請]|[办辦]|弄)|替我|侬[帮幫]|申[请請]吧|[办辦]吧"
)
ASSISTANCE_WORDS = re.compile(r"低保|特困|救助|低收入|困难补助")
NO_WORDS = re.compile(r"不用|不要|先不|算了|不申请|不办|等等再|以后再|再说")
PROGRESS_WORDS = ("进度", "到哪", "结果", "批了", "批下来", "怎么样了", "多久", "什么时候来", "有消息")
WAIT_WORDS = re.compile(r"等等|等一下|等一等|稍等|问一下|问问|商量|考虑|想一想|想想")  # the offer stays open
MONEY_WORDS = re.compile(r"钱|付|费|多少|补贴|报销|出多少")
QUESTION = re.compile(r"[?？吗呢]|多少|怎么|什么|啥|哪|几")


def _latest(tracker: Tracker, entity: str) -> Any:
    values = tracker.entity_values(entity)
    return values[-1] if values else None


def _float(value: Any) -> float | None:
    """A coordinate (latitude or longitude), or None: ``1e999``, NaN or 400 digits are none."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and -180.0 <= number <= 180.0 else None


def _distance(metres: int) -> str:
    return f"约 {metres} 米" if metres < 1000 else f"约 {metres / 1000:.1f} 公里"


def _facility_lines(index: int, f: dict) -> str:
    lines = [
        f"{index}. {f['name']}",
        f"   {_distance(f['distance_m'])}｜{f['address']}",
        f"   {f['hours']}｜电话 {f['phone']}",
    ]
    if f["beds"]:
        free = [f"{b['level']} {b['free']} 张" for b in f["beds"] if b["free"] > 0]
        lines.append("   空床：" + ("、".join(free) if free else "目前没有空床，可以先电话登记排队"))
    return "\n".join(lines)


def _origin_label(origin: dict) -> str:
    if origin["kind"] == "location":
        return "您发的位置" if origin["name"] in ("", "您发的位置") else f"您发的位置（{origin['name']}）"
    return f"您家（{origin['name']}）" if origin["kind"] == "home" else origin["name"]


def _search(tracker: Tracker, type_: str) -> dict | None:
    """The first page of ``type_`` from the best origin this turn gives: a location sent now, a place named now,
    the place of the last search, a location sent earlier, then the bound resident's home. None when none works."""
    client = services.backoffice()
    lat, lng = _float(_latest(tracker, "latitude")), _float(_latest(tracker, "longitude"))
    tries: list[tuple[dict, dict | None]] = []
    if lat is not None and lng is not None:
        label = (tracker.metadata.get("location") or {}).get("label")  # WeChat's address text for the pin
        tries.append(
            ({"lat": lat, "lng": lng}, {"kind": "location", "name": label, "lat": lat, "lng": lng} if label else None)
        )
    text = "" if tracker.latest_text.startswith("/") else simplified(tracker.latest_text)  # 長壽路 is 长寿路
    # the text first: its longest known name beats a shorter entity inside it (长风公园 over 长风)
    for place in (text, _latest(tracker, "community"), _latest(tracker, "district")):
        if place:
            tries.append(({"place": place}, None))
    last = tracker.get_slot("eldercare_search")
    if isinstance(last, dict) and last.get("origin"):
        tries.append(({"lat": last["origin"]["lat"], "lng": last["origin"]["lng"]}, last["origin"]))
    slot_lat, slot_lng = _float(tracker.get_slot("latitude")), _float(tracker.get_slot("longitude"))
    if slot_lat is not None and slot_lng is not None:
        tries.append(({"lat": slot_lat, "lng": slot_lng}, None))
    tries.append(({"openid": tracker.sender_id}, None))
    for params, origin in tries:
        try:
            page = client.get("/eldercare/facilities", type=type_, limit=PAGE, **params)
        except BackofficeError as exc:
            if exc.status != 404:
                raise
            continue
        if origin:
            page["origin"] = origin
        return page
    return None


def _show_page(dispatcher: Dispatcher, page: dict, first: bool) -> list[dict]:
    type_, origin = page["type"], page["origin"]
    if not page["facilities"]:
        lead = f"{_origin_label(origin)}附近 30 公里内没有找到{LABELS[type_]}。" if first else "附近的就是这些了。"
        dispatcher.utter(lead + "可以换个地方再找，或者说“转人工”问问工作人员。")
        return []
    start = page["offset"] + 1
    head = f"离{_origin_label(origin)}最近的{LABELS[type_]}：" if first else f"再往远一点的{LABELS[type_]}："
    body = "\n\n".join(_facility_lines(start + i, f) for i, f in enumerate(page["facilities"]))
    buttons = [{"title": "更多", "payload": "/eldercare_more"}] if page["has_more"] else []
    tail = "\n\n想看更多，回复“更多”。" if page["has_more"] else "\n\n附近的就是这些了。"
    dispatcher.utter(f"{head}\n\n{body}{tail}", buttons=buttons)
    search = {
        "type": type_,
        "lat": origin["lat"],
        "lng": origin["lng"],
        "origin": origin,
        "next_offset": page["next_offset"],
    }
    return [events.slot_set("eldercare_search", search)]


def _described(text: str) -> str | None:
    """The type of place a message describes without its name (吃饭的地方 → 助餐), None when it describes none."""
    return next((type_ for type_, words in DESCRIBED if words.search(text)), None)


def _place_named(tracker: Tracker) -> bool:
    """Whether the message's words name a place the back-office knows (a street, a committee, a landmark)."""
    try:
        services.backoffice().get("/eldercare/places", name=simplified(tracker.latest_text))
    except BackofficeError:
        return False
    return True


def _asked_place(tracker: Tracker) -> bool:
    """Whether the bot's last question was "您在哪一带？" (the search is waiting for a place)."""
    search = tracker.get_slot("eldercare_search")
    return isinstance(search, dict) and bool(search.get("asked_place"))


def _type_asked_twice(tracker: Tracker) -> bool:
    """Whether the question of which kind of place is twice among the bot's last four utterances."""
    said = [e.get("metadata", {}).get("utter_action") for e in tracker.events if e.get("event") == "bot"][-4:]
    return said.count("utter_eldercare_ask_type") >= 2


@action("action_eldercare_find")
def find(dispatcher: Dispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
    """Places of a type near the resident. Also reads a message the NLU did not understand, or took for a handbook
    question, when it answers "您在哪一带？" ("就在曹杨公园边上", "我不知道这里叫什么街道，就在曹杨路地铁站边上"); any
    other such message gets the usual "didn't understand", or the handbook's answer."""
    if tracker.latest_intent == "nlu_fallback" and not _asked_place(tracker):
        dispatcher.utter(response="utter_default")
        return []
    if tracker.latest_intent == "faq" and not (_asked_place(tracker) and _place_named(tracker)):
        return handbook.answer(dispatcher, tracker, domain)  # a handbook question after a search, not a place
    type_ = _latest(tracker, "service_type") or tracker.get_slot("service_type") or _described(tracker.latest_text)
    if type_ not in SERVICE_TYPES and _type_asked_twice(tracker):
        # the answers are about something else (普陀区婚姻登记中心, 下个礼拜一上午): say what the bot can do, never a third time
        dispatcher.utter(response="utter_default")
        return []
    if type_ not in SERVICE_TYPES:
        dispatcher.utter(
            response="utter_eldercare_ask_type",
            buttons=[
                {"title": LABELS[t], "payload": f'/eldercare_find{{"service_type": "{t}"}}'} for t in SERVICE_TYPES
            ],
        )
        return []
    try:
        page = _search(tracker, type_)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return []
    if page is None:
        dispatcher.utter(response="utter_eldercare_ask_place", service=LABELS[type_])
        waiting = {"type": type_, "next_offset": None, "asked_place": True}  # nothing to page; a place is awaited
        return [events.slot_set("service_type", type_), events.slot_set("eldercare_search", waiting)]
    return [events.slot_set("service_type", type_), *_show_page(dispatcher, page, first=True)]


@action("action_eldercare_more")
def more(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    search = tracker.get_slot("eldercare_search")
    if not isinstance(search, dict) or search.get("next_offset") is None:
        dispatcher.utter(response="utter_eldercare_no_more")
        return []
    try:
        page = services.backoffice().get(
            "/eldercare/facilities",
            type=search["type"],
            lat=search["lat"],
            lng=search["lng"],
            limit=PAGE,
            offset=search["next_offset"],
        )
    except (BackofficeUnavailable, BackofficeError):
        dispatcher.utter(response="utter_backoffice_down")
        return []
    page["origin"] = search["origin"]  # keep telling the place the resident gave, not bare coordinates
    return _show_page(dispatcher, page, first=False)


def _bands(allowances: list[dict]) -> str:
    return "，".join(
        f"{a['age_min']}岁以上每月 {a['monthly_amount']} 元"
        if a["age_max"] is None
        else f"{a['age_min']}-{a['age_max']}岁每月 {a['monthly_amount']} 元"
        for a in allowances
    )


@action("action_eldercare_allowance")
def allowance(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    params = {"openid": tracker.sender_id}
    if district := _latest(tracker, "district") or tracker.get_slot("district"):
        params["district"] = district
    try:
        data = services.backoffice().get("/eldercare/allowances", **params)
    except BackofficeError:
        data = services.backoffice().get("/eldercare/allowances", openid=tracker.sender_id)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return []
    rows = data["allowances"]
    if not rows:
        dispatcher.utter(response="utter_eldercare_no_allowance")
        return []
    by_district: dict[str, list[dict]] = {}
    for a in rows:
        by_district.setdefault(a["district_code"], []).append(a)
    first = rows[0]
    where = f"{data['district']['name']}" if data["district"] else ""
    parts = [f"{where}{first['kind']}：{first['conditions']}"]
    if len({_bands(v) for v in by_district.values()}) == 1:
        parts.append("标准：" + _bands(next(iter(by_district.values()))) + "。")
    else:
        parts += [f"{v[0]['district_name']}：{_bands(v)}。" for v in by_district.values()]
    if data["household"]:
        for m in data["household"]:
            who = "您本人" if m["self"] else f"您家的{m['name']}"
            state = "已经在领了" if m["receiving"] else "还没有在领，可以去申请"
            parts.append(f"{who}（{m['age']}岁）：每月 {m['monthly_amount']} 元，{state}。")
    elif data["household"] == []:
        parts.append("您家里暂时还没有满 65 周岁的老人。")
    parts.append("要带：" + "、".join(first["documents"]) + "。")
    parts.append("怎么办：" + first["how_to_apply"])
    if subsidy := data.get("service_subsidy"):
        parts.append(f"另外，{subsidy['title']}：{subsidy['summary']}条件是{subsidy['eligibility']}")
    parts.append(f"（依据：{first['source']}）")
    dispatcher.utter("\n".join(parts))
    return []


def _progress_text(app: dict, scheme: dict | None) -> str:
    who = "您" if app["subject"]["self"] else f"您家{app['subject']['name']}"
    text = f"{who}的{KIND_NAMES[app['kind']]}申请（编号 {app['reference']}）：{app['status_text']}。"
    if app["kind"] == "ltc_assessment" and app["level"] is not None and scheme:
        level = next((lv for lv in scheme["details"].get("levels", []) if lv["level"] == app["level"]), None)
        text += f"评估结果是照护{app['level']}级：{level['gives']}" if level else f"评估结果是照护{app['level']}级。"
    return text


def _applications(tracker: Tracker, kind: str) -> list[dict]:
    try:
        return services.backoffice().get("/eldercare/applications", openid=tracker.sender_id, kind=kind)["applications"]
    except BackofficeError:
        return []


def _scheme(tracker: Tracker, key: str) -> dict:
    params = {"openid": tracker.sender_id}
    if district := tracker.get_slot("district"):
        params["district"] = district
    try:
        return services.backoffice().get(f"/eldercare/schemes/{key}", **params)
    except BackofficeError:
        return services.backoffice().get(f"/eldercare/schemes/{key}")


def _offer(dispatcher: Dispatcher, kind: str, question: str) -> list[dict]:
    dispatcher.utter(
        question, buttons=[{"title": "好的，帮我申请", "payload": "/affirm"}, {"title": "先不用", "payload": "/deny"}]
    )
    return [events.slot_set("eldercare_offer", kind)]


def _explain_or_progress(
    dispatcher: Dispatcher, tracker: Tracker, kind: str, scheme_key: str, explain: Any
) -> list[dict]:
    try:
        scheme = _scheme(tracker, scheme_key)
        apps = _applications(tracker, kind)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return []
    asks_progress = any(w in tracker.latest_text for w in PROGRESS_WORDS)
    if apps:
        dispatcher.utter(_progress_text(apps[0], scheme))
        if asks_progress or apps[0]["status"] not in ("assessed", "completed", "rejected"):
            return [events.slot_set("eldercare_offer", None)]
    elif asks_progress:
        dispatcher.utter(f"没有查到您在这里申请过{KIND_NAMES[kind]}。")
    dispatcher.utter(explain(scheme))
    return _offer(dispatcher, kind, f"要我现在帮您申请{KIND_NAMES[kind]}吗？")


def _ltc_text(scheme: dict) -> str:
    groups: dict[str, list[int]] = {}
    for lv in scheme["details"]["levels"]:
        groups.setdefault(lv["gives"], []).append(lv["level"])
    levels = "\n".join(f"· {'、'.join(map(str, lvs))}级：{gives}" for gives, lvs in groups.items())
    return (
        f"{scheme['title']}：{scheme['summary']}\n谁能申请：{scheme['eligibility']}\n评估等级和能享受的服务：\n{levels}\n"
        f"{scheme['details'].get('payment', '')}\n怎么办：{scheme['how_to_apply']}\n（依据：{scheme['source']}）"
    )


def _retrofit_text(scheme: dict) -> str:
    items = "\n".join(f"· {item}" for item in scheme["details"]["items"])
    if mine := scheme.get("your_subsidy"):
        subsidy = f"按您家的情况（{mine['who']}）：{mine['subsidy']}。"
    else:
        subsidy = "\n".join(f"· {r['who']}：{r['subsidy']}" for r in scheme["details"]["subsidies"])
    return (
        f"{scheme['title']}：{scheme['summary']}\n能改什么：\n{items}\n补贴：\n{subsidy}\n谁能申请：{scheme['eligibility']}\n"
        f"要带：{'、'.join(scheme['documents'])}\n（依据：{scheme['source']}）"
    )


@action("action_eldercare_ltc")
def ltc(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    return _explain_or_progress(dispatcher, tracker, "ltc_assessment", "ltc", _ltc_text)


@action("action_eldercare_retrofit")
def retrofit(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    return _explain_or_progress(dispatcher, tracker, "home_retrofit", "home_retrofit", _retrofit_text)


def _previous_bot_action(tracker: Tracker) -> str | None:
    """The last action before the resident's latest message (action_listen aside)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") != "action_listen":
            return event.get("name")
    return None


def _keep_open(dispatcher: Dispatcher, tracker: Tracker, kind: str) -> list[dict]:
    """Neither yes nor no to the offer: a wait is waited for, a question about what it costs is answered from the
    scheme and the offer put again, anything else is asked once more as a plain yes or no. The offer stays open."""
    text = simplified(tracker.latest_text)
    if WAIT_WORDS.search(text) and not QUESTION.search(text):
        dispatcher.utter(response="utter_eldercare_offer_wait")
        return []
    if QUESTION.search(text) and MONEY_WORDS.search(text):
        try:
            details = _scheme(tracker, SCHEMES[kind])["details"]
        except BackofficeUnavailable:
            details = {}
        if cost := details.get("payment") or "\n".join(
            f"· {r['who']}：{r['subsidy']}" for r in details.get("subsidies", [])
        ):
            dispatcher.utter(cost)
            return _offer(dispatcher, kind, f"要我现在帮您申请{KIND_NAMES[kind]}吗？")
    dispatcher.utter(
        response="utter_eldercare_offer_unclear",
        buttons=[{"title": "好的，帮我申请", "payload": "/affirm"}, {"title": "先不用", "payload": "/deny"}],
    )
    return []


def _idempotency_key(tracker: Tracker, kind: str) -> str:
    """Stable for one resident message, so Rasa or the client retrying the same turn applies once."""
    user = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    mark = user.get("message_id") or user.get("timestamp") or tracker.latest_text
    return "ec-" + hashlib.sha256(f"{tracker.sender_id}|{kind}|{mark}".encode()).hexdigest()[:40]


def _offer_answer(tracker: Tracker) -> bool | None:
    """The resident's answer to "要我帮您申请吗？": True for a yes (the NLU's affirm, or "要的帮我申请" / "好额，侬帮我
    申请", which it may read as applying for assistance or not at all), False for a no, None when it is neither."""
    text, intent = tracker.latest_text.strip(), tracker.latest_intent
    if ASSISTANCE_WORDS.search(text):  # "帮我申请低保": another errand, not this offer
        return None
    if intent == "deny" or NO_WORDS.search(text):
        return False
    if intent == "affirm" or YES_WORDS.search(text):
        return True
    return None


@action("action_eldercare_offer_reply")
def offer_reply(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """The resident answers "要我帮您申请吗？": yes applies (once), no lets it be. An answer that is neither keeps the
    offer open once (:func:`_keep_open`: a question about what it costs is answered and the offer put again, "等等，我问
    一下我女儿" is waited for); a second such answer in a row lets the offer go, so it is never put a third time."""
    kind = tracker.get_slot("eldercare_offer")
    reset = [events.slot_set("eldercare_offer", None)]
    previous = _previous_bot_action(tracker)
    if kind not in OFFERS and previous == "action_eldercare_offer_reply" and _offer_answer(tracker):
        dispatcher.utter(response="utter_eldercare_nothing_open")  # 好的 after the answer: nothing is open
        return reset
    if kind not in OFFERS or previous not in (OFFERS[kind], "action_eldercare_offer_reply"):
        dispatcher.utter(response="utter_default")
        return reset
    answer = _offer_answer(tracker)
    if answer is None and ASSISTANCE_WORDS.search(tracker.latest_text):  # "帮我申请低保": another errand
        dispatcher.utter(response="utter_default")
        return reset
    if answer is None and previous == OFFERS[kind]:
        return _keep_open(dispatcher, tracker, kind)
    if answer is None:
        dispatcher.utter(response="utter_eldercare_offer_let_go", what=KIND_NAMES[kind])
        return reset
    if not answer:
        dispatcher.utter(response="utter_eldercare_offer_declined")
        return reset
    try:
        app = services.backoffice().post(
            "/eldercare/applications",
            {"kind": kind, "openid": tracker.sender_id},
            idempotency_key=_idempotency_key(tracker, kind),
        )
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return reset
    except BackofficeError as exc:
        if exc.code == identity.NOT_BOUND:
            identity.ask_to_verify(dispatcher, "/" + OFFER_INTENTS[kind], KIND_NAMES[kind] + "申请")
        else:
            dispatcher.utter(exc.message)
        return reset
    who = "您" if app["subject"]["self"] else f"您家{app['subject']['name']}"
    dispatcher.utter(
        response="utter_eldercare_applied",
        who=who,
        what=KIND_NAMES[kind],
        reference=app["reference"],
        status=app["status_text"],
    )
    return reset
