"""The booking rules: availability, create, look up, cancel, reschedule, no-shows.

Functions take a SQLAlchemy session and plain values and raise :class:`~backoffice.errors.ApiError`
(a 4xx with a code and a Chinese message) when a rule says no. Every write runs in one
transaction (:func:`backoffice.idempotency.run`) that takes the places it needs with a
conditional UPDATE, so concurrent requests can never leave more appointments than places.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from backoffice import booking_common, params, slots
from backoffice.changes import feed
from backoffice.errors import ApiError
from backoffice.marriage import calendar, holidays, rules
from backoffice.marriage.models import (
    DIVORCE_STAGES,
    SERVICES,
    MarriageAppointment,
    MarriageClosure,
    MarriageParty,
    MarriageSlot,
    Office,
)
from backoffice.residents.models import Resident
from backoffice.residents.registry import resident_for_openid
from common.masking import is_valid_id_number, is_valid_phone, mask_id_number, mask_phone

LEGAL_AGE = {"男": 22, "女": 20}
MAX_DAYS = 62


@dataclass(frozen=True)
class Party:
    name: str
    id_number: str

    @property
    def gender(self) -> str:
        return "男" if int(self.id_number[16]) % 2 else "女"

    @property
    def birth_date(self) -> date:
        return date(int(self.id_number[6:10]), int(self.id_number[10:12]), int(self.id_number[12:14]))


@dataclass(frozen=True)
class BookingRequest:
    openid: str
    office_code: str
    service: str
    stage: str
    day: date
    start: str
    parties: tuple[Party, ...]
    phone: str


# --- reading -------------------------------------------------------------------------------------------------------


def get_office(sess: Session, code: str) -> Office:
    office = sess.get(Office, code)
    if office is None:
        raise ApiError(404, "office_not_found", "没有找到这个婚姻登记处")
    return office


def closures(sess: Session, office_code: str, first: date, last: date) -> dict[date, str]:
    rows = sess.scalars(
        select(MarriageClosure).where(
            MarriageClosure.day.between(first, last),
            or_(MarriageClosure.office_code == office_code, MarriageClosure.office_code.is_(None)),
        )
    )
    return {row.day: row.reason for row in rows}


def past_cutoff(office_rules: rules.Rules, day: date, first: date) -> bool:
    """``day`` is the earliest day the rules allow, but its booking closed at the cut-off the day before."""
    return day == calendar.today() + timedelta(days=office_rules.earliest_days_ahead) and day < first


def slot_capacity(office: Office, timetable_slot: dict, status: calendar.DayStatus) -> int:
    return int(timetable_slot["capacity"]) + (office.peak_extra_capacity if status.peak else 0)


def arrangements(sess: Session, first: date, last: date) -> dict[int, calendar.Arrangement]:
    return holidays.entered(sess, set(range(first.year, last.year + 1)))


def day_status(sess: Session, office: Office, day: date) -> calendar.DayStatus:
    return calendar.day_status(day, closures(sess, office.code, day, day), arrangements(sess, day, day))


def availability(sess: Session, office: Office, first: date, days: int, until: date | None = None) -> list[dict]:
    """``until`` replaces the booking horizon (a divorce certificate may be booked up to day 60 of its window)."""
    days = max(1, min(days, MAX_DAYS))
    last = first + timedelta(days=days - 1)
    closed = closures(sess, office.code, first, last)
    entered = arrangements(sess, first, last)
    office_rules = rules.for_office(sess, office.code)
    booked = {
        (s.day, s.start): s
        for s in sess.scalars(
            select(MarriageSlot).where(MarriageSlot.office_code == office.code, MarriageSlot.day.between(first, last))
        )
    }
    window_first, window_last = office_rules.window()
    window_last = until or window_last
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        status = calendar.day_status(day, closed, entered)
        reason = status.reason
        if status.open and past_cutoff(office_rules, day, window_first):
            reason = f"这一天的预约已经在前一天{office_rules.cutoff}截止了"
        elif status.open and not window_first <= day <= window_last:
            reason = "不在可预约的日期范围内"
        day_slots = []
        if status.open and not reason:
            day_slots = [
                slots.places(t, booked.get((day, t["start"])), slot_capacity(office, t, status)) for t in office.slots
            ]
        out.append(
            {
                "date": day.isoformat(),
                "label": calendar.chinese_date(day),
                "open": not reason,
                "reason": reason,
                "peak": status.peak,
                "notice": status.notice if not reason else "",
                "slots": day_slots,
            }
        )
    return out


NOT_BOUND = booking_common.not_bound("婚姻登记")


def verified_resident(sess: Session, openid: str) -> Resident:
    return booking_common.verified_resident(sess, openid, NOT_BOUND)


def appointments_of(sess: Session, openid: str, include_past: bool = False) -> list[MarriageAppointment]:
    """The appointments in which the verified resident behind ``openid`` is a party (whoever booked them)."""
    resident = verified_resident(sess, openid)
    theirs = select(MarriageParty.appointment_id).where(MarriageParty.id_number == resident.id_number)
    query = (
        select(MarriageAppointment)
        .where(MarriageAppointment.id.in_(theirs))
        .order_by(MarriageAppointment.day, MarriageAppointment.start)
    )
    if not include_past:
        query = query.where(MarriageAppointment.status == "booked", MarriageAppointment.day >= calendar.today())
    return list(sess.scalars(query))


def own_appointment(sess: Session, openid: str, number: str) -> MarriageAppointment:
    """One of the resident's own appointments; someone else's answers exactly like a missing one."""
    appointment = next((a for a in appointments_of(sess, openid, include_past=True) if a.number == number), None)
    if appointment is None:
        raise ApiError(404, "appointment_not_found", "没有查到这个预约号对应的、您本人的预约")
    return appointment


def appointment_json(a: MarriageAppointment) -> dict:
    kind = f"离婚{a.stage}" if a.service == "离婚" else a.service
    return {
        "number": a.number,
        "status": a.status,
        "flag": a.flag,
        "service": a.service,
        "stage": a.stage,
        "office": {"code": a.office.code, "name": a.office.name, "address": a.office.address, "phone": a.office.phone},
        "date": a.day.isoformat(),
        "date_label": calendar.chinese_date(a.day),
        "start": a.start,
        "end": a.end,
        "parties": [{"name": p.name, "id_number": mask_id_number(p.id_number)} for p in a.parties],
        "phone": mask_phone(a.phone),
        "application_date": a.application_day.isoformat() if a.application_day else None,
        "certificate_window": cooling_off_json(a.application_day) if a.application_day else None,
        "materials": calendar.materials().get(kind, []),
    }


def cooling_off_json(application: date) -> dict:
    """The days (31 to 60 after the application) a divorce certificate may be collected, with their labels."""
    first, last = calendar.cooling_off_window(application)
    return {
        "first_date": first.isoformat(),
        "last_date": last.isoformat(),
        "first_label": calendar.chinese_date(first),
        "last_label": calendar.chinese_date(last),
    }


# --- validation ----------------------------------------------------------------------------------------------------


def parse_request(openid: str, body: dict) -> BookingRequest:
    def need(field: str) -> str:
        return params.required_text(body, field)

    service = need("service")
    if service not in SERVICES:
        raise ApiError(422, "invalid_service", "办理事项只能是结婚、离婚或补领")
    stage = (body.get("stage") or "").strip()
    if service == "离婚" and stage not in DIVORCE_STAGES:
        raise ApiError(422, "invalid_stage", "离婚预约要说明是提交离婚申请，还是冷静期满后领离婚证")
    if service != "离婚":
        stage = ""
    try:
        day = date.fromisoformat(need("date"))
    except ValueError:
        raise ApiError(422, "invalid_date", "日期的格式不对") from None
    phone = need("phone")
    if not is_valid_phone(phone):
        raise ApiError(422, "invalid_phone", "手机号码应该是 11 位数字，以 1 开头")
    raw_parties = body.get("parties")
    if not isinstance(raw_parties, list) or not raw_parties:
        raise ApiError(422, "invalid_request", "缺少当事人的姓名和身份证号")
    parties = tuple(parse_party(p) for p in raw_parties)
    wanted = (1, 2) if service == "补领" else (2,)
    if len(parties) not in wanted:
        raise ApiError(422, "invalid_parties", "结婚和离婚登记需要双方的姓名和身份证号")
    if len({p.id_number for p in parties}) != len(parties):
        raise ApiError(422, "same_person", "双方的身份证号是同一个，请核对一下")
    return BookingRequest(openid, need("office_code"), service, stage, day, need("start"), parties, phone)


def parse_party(raw: object) -> Party:
    if not isinstance(raw, dict):
        raise ApiError(422, "invalid_parties", "当事人信息的格式不对")
    name = str(raw.get("name") or "").strip()
    id_number = str(raw.get("id_number") or "").strip().upper()
    if not 1 < len(name) <= 30:
        raise ApiError(422, "invalid_name", "请填写当事人的真实姓名")
    if not is_valid_id_number(id_number):
        raise ApiError(
            422,
            "invalid_id_number",
            f"{name}的身份证号码 {mask_id_number(id_number)} 不对，请核对一下（18位，最后一位可能是X）",
        )
    return Party(name, id_number)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def check_legal_age(parties: tuple[Party, ...], day: date) -> None:
    for p in parties:
        need = LEGAL_AGE[p.gender]
        if age_on(p.birth_date, day) < need:
            reached = date(
                p.birth_date.year + need,
                p.birth_date.month,
                28 if (p.birth_date.month, p.birth_date.day) == (2, 29) else p.birth_date.day,
            )
            raise ApiError(
                422,
                "under_age",
                f"按照法律规定，结婚年龄{p.gender}方不能早于{need}周岁。{p.name}到"
                f"{reached.year}年{calendar.chinese_date(reached)}才满{need}周岁，那天以后才能办理结婚登记。",
            )


def check_bookable_day(
    sess: Session,
    office: Office,
    service: str,
    day: date,
    start: str,
    window: tuple[date, date],
    office_rules: rules.Rules,
) -> tuple[dict, calendar.DayStatus]:
    if service not in office.services:
        raise ApiError(422, "service_not_offered", f"{office.name}不办理{service}登记，请换一个登记处")
    if past_cutoff(office_rules, day, window[0]):
        raise ApiError(
            422,
            "booking_closed",
            f"{calendar.chinese_date(day)}的预约已经在前一天{office_rules.cutoff}截止了，"
            f"现在最早可以约{calendar.chinese_date(window[0])}",
        )
    if not window[0] <= day <= window[1]:
        raise ApiError(
            422,
            "date_out_of_range",
            f"这一天不能预约：可以约的是{calendar.chinese_date(window[0])}到{calendar.chinese_date(window[1])}之间",
        )
    status = day_status(sess, office, day)
    if not status.open:
        raise ApiError(422, "office_closed", f"{calendar.chinese_date(day)}{status.reason}，请换一天")
    slot = next((t for t in office.slots if t["start"] == start), None)
    if slot is None:
        raise ApiError(422, "invalid_slot", f"{office.name}没有 {start} 开始的时段")
    return slot, status


def divorce_application_day(sess: Session, parties: tuple[Party, ...]) -> date:
    """The day this couple's divorce application was handed in (its 申请 appointment, already past)."""
    ids = [p.id_number for p in parties]
    rows = sess.scalars(
        select(MarriageAppointment)
        .join(MarriageParty)
        .where(
            MarriageAppointment.service == "离婚",
            MarriageAppointment.stage == "申请",
            MarriageAppointment.status == "booked",
            MarriageAppointment.day < calendar.today(),
            MarriageParty.id_number.in_(ids),
        )
        .order_by(MarriageAppointment.day.desc())
    )
    for appointment in rows:
        if {p.id_number for p in appointment.parties} == set(ids):
            return appointment.day
    raise no_divorce_application()


def no_divorce_application() -> ApiError:
    return ApiError(
        422,
        "no_divorce_application",
        "离婚要来两次：第一次两人一起到登记处提交离婚申请，之后有30天冷静期；冷静期满后第31天到第60天之间，"
        "两人再一起来领离婚证。系统里没有查到你们已经提交过的离婚申请，请先预约“提交离婚申请”。",
    )


def certificate_window(sess: Session, parties: tuple[Party, ...], earliest: date) -> tuple[date, date, date]:
    """(application day, first, last day the certificate can be booked); ``earliest``: the office's first bookable day."""
    application = divorce_application_day(sess, parties)
    first, last = calendar.cooling_off_window(application)
    if calendar.today() > last:
        raise ApiError(
            422,
            "application_expired",
            f"你们{calendar.chinese_date(application)}提交的离婚申请，到{calendar.chinese_date(last)}已满60天没有领证，"
            "按规定视为撤回了申请。如果还要离婚，需要重新预约提交离婚申请。",
        )
    return application, max(first, earliest), last


def cooling_off_error(application: date, first: date, last: date) -> ApiError:
    return ApiError(
        422,
        "cooling_off",
        f"离婚冷静期：你们{calendar.chinese_date(application)}提交了离婚申请，30天冷静期内不能领证；"
        f"请在{calendar.chinese_date(first)}到{calendar.chinese_date(last)}之间预约领证，"
        "过了这个期限没来，申请就视为撤回。",
    )


# --- writing -------------------------------------------------------------------------------------------------------


def _slot(office_code: str, day: date, start: str) -> slots.Slot:
    return slots.Slot(MarriageSlot, "office_code", office_code, day, start)


def _take_place(sess: Session, office: Office, day: date, timetable_slot: dict, status: calendar.DayStatus) -> None:
    """Take one place atomically (:func:`backoffice.slots.take`): the last place goes to exactly one request."""
    slot = _slot(office.code, day, timetable_slot["start"])
    slots.ensure(sess, slot, timetable_slot["end"], slot_capacity(office, timetable_slot, status))
    if not slots.take(sess, slot):
        raise ApiError(
            409,
            "slot_full",
            f"{calendar.chinese_date(day)} {timetable_slot['start']} 这个时段已经约满了，请换个时段或换一天",
        )


def _free_place(sess: Session, appointment: MarriageAppointment) -> None:
    slots.give_back(sess, _slot(appointment.office_code, appointment.day, appointment.start))


def _retire_past_parties(sess: Session, id_numbers: list[str]) -> None:
    """Appointments whose day has passed no longer count as the person's live appointment."""
    sess.execute(
        update(MarriageParty)
        .where(
            MarriageParty.id_number.in_(id_numbers),
            MarriageParty.active.is_(True),
            MarriageParty.day < calendar.today(),
        )
        .values(active=False)
        .execution_options(synchronize_session=False)
    )


def _check_identity(sess: Session, openid: str, parties: tuple[Party, ...]) -> None:
    """Only a verified resident books, and only an appointment in which they are a party."""
    resident = verified_resident(sess, openid)
    if resident.id_number not in {p.id_number for p in parties}:
        raise ApiError(
            403,
            "identity_mismatch",
            f"这个微信实名认证的是身份证 {mask_id_number(resident.id_number)}，只能预约您本人的婚姻登记。"
            "请让当事人用自己的微信预约。",
        )


def _kind(service: str, stage: str) -> str:
    return f"离婚{stage}" if service == "离婚" else service


def create(sess: Session, req: BookingRequest) -> MarriageAppointment:
    """Runs inside :func:`backoffice.idempotency.writing`; the caller commits. Who asks is checked first, so
    an unverified sender or one who is not a party learns nothing (not even whether a couple applied to divorce)."""
    _check_identity(sess, req.openid, req.parties)
    office = get_office(sess, req.office_code)
    office_rules = rules.for_office(sess, office.code)
    window = office_rules.window()
    application_day = None
    if req.service == "离婚" and req.stage == "领证":
        application_day, first, last = certificate_window(sess, req.parties, window[0])
        if not first <= req.day <= last:
            raise cooling_off_error(application_day, first, last)
        window = (first, last)
    timetable_slot, status = check_bookable_day(sess, office, req.service, req.day, req.start, window, office_rules)
    if req.service == "结婚":
        check_legal_age(req.parties, req.day)
    for party in req.parties:
        if banned := rules.no_show_ban(sess, office_rules, party.name, party.id_number):
            raise banned
    _retire_past_parties(sess, [p.id_number for p in req.parties])
    _take_place(sess, office, req.day, timetable_slot, status)
    appointment = MarriageAppointment(
        openid=req.openid,
        office_code=office.code,
        service=req.service,
        stage=req.stage,
        day=req.day,
        start=timetable_slot["start"],
        end=timetable_slot["end"],
        phone=req.phone,
        application_day=application_day,
        office=office,
    )
    kind = _kind(req.service, req.stage)
    appointment.parties = [
        MarriageParty(position=i, name=p.name, id_number=p.id_number, service_key=kind, day=req.day)
        for i, p in enumerate(req.parties, 1)
    ]
    sess.add(appointment)
    booking_common.flush_or(
        sess,
        ApiError(
            409,
            "already_booked",
            f"当事人已经有一个还没办的{kind}登记预约了，同一个人不能重复预约。"
            "可以说“查预约”看看，或者先取消原来的预约。",
        ),
    )
    appointment.number = booking_common.reference("HY", req.day, appointment.id)
    return appointment


def cancel(sess: Session, openid: str, number: str) -> MarriageAppointment:
    appointment = own_appointment(sess, openid, number)
    if appointment.status == "cancelled":
        return appointment  # cancelling twice is the same as once
    if appointment.day < calendar.today():
        raise ApiError(422, "appointment_past", "这个预约的日子已经过了，不用取消")
    check_change_deadline(sess, appointment, "取消")
    _free_place(sess, appointment)
    appointment.status = "cancelled"
    for party in appointment.parties:
        party.active = False
    return appointment


def check_change_deadline(sess: Session, appointment: MarriageAppointment, what: str) -> None:
    """A resident cancels or moves an appointment by the office's deadline; after it, only by phoning the office."""
    office_rules = rules.for_office(sess, appointment.office_code)
    last = office_rules.last_cancel_day(appointment.day)
    if calendar.today() > last:
        ahead = (
            f"最晚要在预约日的{office_rules.cancel_days_before}天前" if office_rules.cancel_days_before else "最晚当天"
        )
        raise ApiError(
            422,
            "change_too_late",
            f"网上{what}预约{ahead}办理，现在已经过了时间。来不了的话，请直接打电话告诉登记处："
            f"{appointment.office.name}，电话 {appointment.office.phone}。"
            "预约了没来、也没有提前取消的，会记一次爽约。",
        )


def cancel_by_office(sess: Session, number: str, reason: str, now: datetime) -> MarriageAppointment:
    """The office cancels an appointment (a closure, an emergency): the place is freed and the resident who
    booked is told through the change feed (backoffice/changes/), with the reason and the office's phone."""
    if not reason.strip():
        raise ApiError(422, "reason_required", "取消预约需要写明原因，我们会转告预约的人")
    appointment = sess.scalar(select(MarriageAppointment).where(MarriageAppointment.number == number))
    if appointment is None:
        raise ApiError(404, "appointment_not_found", "没有查到这个预约号")
    if appointment.status == "cancelled":
        return appointment  # cancelling twice is the same as once
    if appointment.day < calendar.today():
        raise ApiError(422, "appointment_past", "这个预约的日子已经过了，不用取消")
    _free_place(sess, appointment)
    appointment.status = "cancelled"
    for party in appointment.parties:
        party.active = False
    if feed.booked_by_a_party(sess, appointment):
        feed.publish(
            sess,
            domain="marriage",
            kind="cancelled",
            ref=appointment.number or "",
            recipient=appointment.openid,
            status="cancelled",
            data={**feed.appointment_data(appointment), "reason": reason.strip()[:60]},
            at=now,
        )
    return appointment


def reschedule(sess: Session, openid: str, number: str, day: date, start: str) -> MarriageAppointment:
    appointment = own_appointment(sess, openid, number)
    if appointment.status != "booked" or appointment.day < calendar.today():
        raise ApiError(422, "appointment_not_active", "这个预约已经取消或者已经过期了，不能改时间，可以重新预约")
    if (appointment.day, appointment.start) == (day, start):
        return appointment  # already there: a repeated request changes nothing
    check_change_deadline(sess, appointment, "改约")
    office_rules = rules.for_office(sess, appointment.office_code)
    window = office_rules.window()
    if appointment.application_day:
        first, last = calendar.cooling_off_window(appointment.application_day)
        window = (max(first, window[0]), last)
        if not window[0] <= day <= window[1]:
            raise cooling_off_error(appointment.application_day, window[0], window[1])
    office = appointment.office
    timetable_slot, status = check_bookable_day(sess, office, appointment.service, day, start, window, office_rules)
    if appointment.service == "结婚":
        check_legal_age(tuple(Party(p.name, p.id_number) for p in appointment.parties), day)
    _take_place(sess, office, day, timetable_slot, status)
    _free_place(sess, appointment)
    appointment.day, appointment.start, appointment.end = day, timetable_slot["start"], timetable_slot["end"]
    appointment.flag = ""  # moved to an open day: nothing for staff any more
    for party in appointment.parties:
        party.day = day
    return appointment


def divorce_window(sess: Session, openid: str, parties: tuple[Party, ...]) -> dict:
    """Only for a verified resident who is one of the two. Anyone else gets the refusal a couple with no
    application gets (422 ``no_divorce_application``, the same message), so the answer never tells whether, or
    when, two people applied to divorce (marital status is sensitive personal information, PIPL art. 28)."""
    resident = resident_for_openid(sess, openid)
    if resident is None or resident.id_number not in {p.id_number for p in parties}:
        raise no_divorce_application()
    application, first, last = certificate_window(sess, parties, rules.defaults().window()[0])
    return {
        "application_date": application.isoformat(),
        "first_date": first.isoformat(),
        "last_date": last.isoformat(),
        "application_label": calendar.chinese_date(application),
        "first_label": calendar.chinese_date(first),
        "last_label": calendar.chinese_date(last),
    }


def record_no_show(sess: Session, number: str) -> MarriageAppointment:
    """Staff record that nobody came (and nobody cancelled): it counts towards the office's no-show rule.
    Recording it twice is the same as once."""
    appointment = sess.scalar(select(MarriageAppointment).where(MarriageAppointment.number == number))
    if appointment is None:
        raise ApiError(404, "appointment_not_found", "没有查到这个预约号")
    if appointment.status == "no_show":
        return appointment
    if appointment.status == "cancelled":
        raise ApiError(422, "appointment_cancelled", "这个预约已经取消了，不算爽约")
    if appointment.day > calendar.today():
        raise ApiError(422, "appointment_not_yet", "预约的日子还没到，不能记爽约")
    appointment.status = "no_show"
    appointment.flag = ""
    for party in appointment.parties:
        party.active = False
    return appointment
