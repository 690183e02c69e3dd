"""The booking rules: what can be booked, book, join the waiting list, look up, cancel, move.

Functions take a SQLAlchemy session and plain values and raise :class:`~backoffice.errors.ApiError` (a 4xx
with a code and a Chinese message) when a rule says no. Writes run in one transaction
(:func:`backoffice.idempotency.run`) that takes places with a conditional UPDATE, so concurrent requests
can never leave more visitors in a slot than its capacity; a partial unique index refuses a second live
booking of the same person and day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backoffice import booking_common, slots
from backoffice.cemetery import schedule
from backoffice.cemetery.models import Cemetery, CemeteryBooking, CemeteryGate, CemeterySlot, CemeteryWaiting
from backoffice.changes import feed
from backoffice.errors import ApiError
from backoffice.marriage.calendar import chinese_date, now, today
from backoffice.residents.models import Resident

GateLink = Callable[[str], str]  # a booking number → its gate-check link (made by the HTTP layer, which knows the host)

NOT_BOUND = booking_common.not_bound("祭扫")


@dataclass(frozen=True)
class Visit:
    """What a resident asks for: a gate's time slot on a day, for themself and ``companions`` others."""

    cemetery_code: str
    day: date
    gate_code: str
    start: str
    companions: int


# --- reading -------------------------------------------------------------------------------------------------------


def get_cemetery(sess: Session, code: str) -> Cemetery:
    cemetery = sess.get(Cemetery, code)
    if cemetery is None:
        raise ApiError(404, "cemetery_not_found", "没有找到这个公墓")
    return cemetery


def verified_resident(sess: Session, openid: str) -> Resident:
    return booking_common.verified_resident(sess, openid, NOT_BOUND)


def slot_rows(sess: Session, cemetery: Cemetery, days: list[date]) -> dict[tuple[str, date, str], CemeterySlot]:
    """The cemetery's slot rows on ``days`` (a slot without one has its timetable's places, none booked)."""
    gates = [g.code for g in cemetery.gates]
    rows = sess.scalars(
        select(CemeterySlot)
        .where(CemeterySlot.gate_code.in_(gates), CemeterySlot.day.in_(days))
        .execution_options(populate_existing=True)  # places are taken by UPDATEs the session does not track
    )
    return {(s.gate_code, s.day, s.start): s for s in rows}


def _slots(cemetery: Cemetery, day: date, booked: dict[tuple[str, date, str], CemeterySlot]) -> list[dict]:
    out = []
    for gate in cemetery.gates:
        for t in gate.slots:
            row = booked.get((gate.code, day, t["start"]))
            out.append({"gate_code": gate.code, "gate_name": gate.name, **slots.places(t, row, int(t["capacity"]))})
    return sorted(out, key=lambda s: (s["start"], s["gate_code"]))


def slots_of(sess: Session, cemetery: Cemetery, day: date) -> list[dict]:
    """Every gate's time slots on ``day`` with the places left, in time order."""
    return _slots(cemetery, day, slot_rows(sess, cemetery, [day]))


def waiting_counts(sess: Session, cemetery_code: str, days: list[date]) -> dict[date, int]:
    return dict(
        sess.execute(
            select(CemeteryWaiting.day, func.count())
            .where(
                CemeteryWaiting.cemetery_code == cemetery_code,
                CemeteryWaiting.day.in_(days),
                CemeteryWaiting.status == "waiting",
            )
            .group_by(CemeteryWaiting.day)
        ).all()
    )


def day_problem(sess: Session, day: date, cemetery: Cemetery, opens: datetime | None = None) -> ApiError | None:
    """Why ``day`` cannot be booked now (None: it can); ``opens``: when its booking opens, if already read."""
    if day < today():
        return ApiError(422, "date_past", f"{chinese_date(day)}已经过去了，请换一天")
    if schedule.season_of(day) is None:
        season = schedule.upcoming(today())
        return ApiError(
            422,
            "no_booking_needed",
            f"{chinese_date(day)}不是清明、冬至祭扫的高峰日子，不用预约，开放时间内直接去就行（{cemetery.name}{cemetery.hours}）。"
            f"要预约的是{season.name}前后：{chinese_date(season.first)}到{chinese_date(season.last)}。",
        )
    opens = opens or schedule.opens_at(sess, day)
    if now() < opens:
        return ApiError(
            422,
            "not_open_yet",
            f"{chinese_date(day)}的祭扫预约还没开放，{schedule.moment_label(opens)}开始预约。",
        )
    return None


def availability(sess: Session, cemetery: Cemetery, first: date | None = None, count: int | None = None) -> dict:
    """The season under way (or the next one) from ``first`` (``count`` days of it, else all): each day, whether it
    can be booked, its slots. A few queries whatever the number of days."""
    start = first or today()
    season = schedule.season_of(start) or schedule.upcoming(start)
    days = [d for d in season.days() if d >= max(today(), first or today())][:count]
    opening = schedule.openings(sess, days)
    problems = {day: day_problem(sess, day, cemetery, opening[day]) for day in days}
    booked = slot_rows(sess, cemetery, [d for d in days if problems[d] is None])
    waiting = waiting_counts(sess, cemetery.code, days)
    out = []
    for day in days:
        problem = problems[day]
        slots = _slots(cemetery, day, booked) if problem is None else []
        out.append(
            {
                "date": day.isoformat(),
                "label": chinese_date(day),
                "festival": day == season.term_day,
                "open": problem is None,
                "reason": problem.message if problem else "",
                "opens_at": opening[day].isoformat(timespec="minutes"),
                "opens_label": schedule.moment_label(opening[day]),
                "free": sum(s["free"] for s in slots),
                "waiting": waiting.get(day, 0),
                "slots": slots,
            }
        )
    return {
        "season": season.json(),
        "companions_max": cemetery.companions_max,
        "days": out,
    }


class Bookings(NamedTuple):
    """What the resident sees on "查扫墓预约"."""

    live: list[CemeteryBooking]  # booked, not yet used at the gate
    waiting: list[CemeteryWaiting]
    checked_in: list[CemeteryBooking]  # used at the gate on their day (today): the visit is under way or done


def bookings_of(sess: Session, openid: str) -> Bookings:
    """The verified resident's bookings from today on, live or checked in at the gate, and their waiting-list
    places. A booking checked in stays listed for its day, so a resident who asks after going in is not told they
    have none (a check-in can only happen on the booking's own day, so it is listed that day only)."""
    resident = verified_resident(sess, openid)
    bookings = sess.scalars(
        select(CemeteryBooking)
        .where(
            CemeteryBooking.id_number == resident.id_number,
            CemeteryBooking.status.in_(("booked", "used")),
            CemeteryBooking.day >= today(),
        )
        .order_by(CemeteryBooking.day, CemeteryBooking.start)
    ).all()
    waiting = sess.scalars(
        select(CemeteryWaiting)
        .where(CemeteryWaiting.id_number == resident.id_number, CemeteryWaiting.active, CemeteryWaiting.day >= today())
        .order_by(CemeteryWaiting.day)
    )
    return Bookings(
        [b for b in bookings if b.status == "booked"], list(waiting), [b for b in bookings if b.status == "used"]
    )


Own = TypeVar("Own", CemeteryBooking, CemeteryWaiting)


def _own(sess: Session, openid: str, model: type[Own], number: str, missing: ApiError, lock: bool = False) -> Own:
    """The row of ``model`` numbered ``number`` if the verified resident behind ``openid`` made it for themself;
    anyone else's answers ``missing``, exactly like a missing one."""
    resident = verified_resident(sess, openid)
    query = select(model).where(model.number == number)
    row = sess.scalar(query.with_for_update() if lock else query)
    if row is None or row.id_number != resident.id_number:
        raise missing
    return row


def own_booking(sess: Session, openid: str, number: str, lock: bool = False) -> CemeteryBooking:
    """One of the resident's own bookings. ``lock``: its row is held to the end of the transaction (PostgreSQL),
    so a check-in at the gate and a change never cross."""
    missing = ApiError(404, "booking_not_found", "没有查到这个预约号对应的、您本人的祭扫预约")
    return _own(sess, openid, CemeteryBooking, number, missing, lock)


def own_waiting(sess: Session, openid: str, number: str) -> CemeteryWaiting:
    missing = ApiError(404, "waiting_not_found", "没有查到这个候补号对应的、您本人的候补")
    return _own(sess, openid, CemeteryWaiting, number, missing)


def position(sess: Session, entry: CemeteryWaiting) -> int:
    """The entry's place in its day's queue (1 = next), 0 when it is no longer waiting."""
    if entry.status != "waiting":
        return 0
    return sess.scalar(
        select(func.count())
        .select_from(CemeteryWaiting)
        .where(
            CemeteryWaiting.cemetery_code == entry.cemetery_code,
            CemeteryWaiting.day == entry.day,
            CemeteryWaiting.status == "waiting",
            CemeteryWaiting.id <= entry.id,
        )
    )


# --- writing -------------------------------------------------------------------------------------------------------


def _slot(gate_code: str, day: date, start: str) -> slots.Slot:
    return slots.Slot(CemeterySlot, "gate_code", gate_code, day, start)


def ensure_slot(sess: Session, gate: CemeteryGate, day: date, timetable_slot: dict) -> None:
    """The slot's row, with the timetable's capacity unless staff set another (:func:`backoffice.slots.ensure`)."""
    slots.ensure(
        sess, _slot(gate.code, day, timetable_slot["start"]), timetable_slot["end"], int(timetable_slot["capacity"])
    )


def _take(sess: Session, gate: CemeteryGate, day: date, timetable_slot: dict, people: int) -> bool:
    """Take ``people`` places atomically (:func:`backoffice.slots.take`): the last places go to exactly one
    request."""
    ensure_slot(sess, gate, day, timetable_slot)
    return slots.take(sess, _slot(gate.code, day, timetable_slot["start"]), people)


def _free(sess: Session, booking: CemeteryBooking) -> None:
    slots.give_back(sess, _slot(booking.gate_code, booking.day, booking.start), booking.people)


def _companions(cemetery: Cemetery, companions: int) -> None:
    if not 0 <= companions <= cemetery.companions_max:
        raise ApiError(
            422,
            "too_many_companions",
            f"{cemetery.name}每个预约最多可以带{cemetery.companions_max}位同行的人（不算您本人）。人多的话，请同行的人用自己的微信另约。",
        )


def gate_slot(cemetery: Cemetery, gate_code: str, start: str) -> tuple[CemeteryGate, dict]:
    gate = next((g for g in cemetery.gates if g.code == gate_code), None)
    if gate is None:
        raise ApiError(422, "invalid_gate", f"{cemetery.name}没有这个入口")
    timetable_slot = next((t for t in gate.slots if t["start"] == start), None)
    if timetable_slot is None:
        raise ApiError(422, "invalid_slot", f"{cemetery.name}{gate.name}没有 {start} 开始的时段")
    return gate, timetable_slot


def slot_full(day: date, gate: CemeteryGate, start: str) -> ApiError:
    return ApiError(
        409,
        "slot_full",
        f"{chinese_date(day)} {start} {gate.name}这个时段的名额已经约完了，请换个时段、换个门或者换一天；都约满了也可以排候补。",
    )


def _already(day: date) -> ApiError:
    return ApiError(
        409,
        "already_booked",
        f"您{chinese_date(day)}已经有一个祭扫预约了，同一天只能约一个。可以说“查扫墓预约”看看，或者改约原来的。",
    )


def _holds(sess: Session, id_number: str, day: date) -> bool:
    return (
        sess.scalar(
            select(CemeteryBooking.id).where(
                CemeteryBooking.id_number == id_number, CemeteryBooking.day == day, CemeteryBooking.active
            )
        )
        is not None
    )


def _close_waiting(sess: Session, id_number: str, day: date) -> None:
    """A resident who now holds a booking for ``day`` no longer waits for one."""
    sess.execute(
        update(CemeteryWaiting)
        .where(CemeteryWaiting.id_number == id_number, CemeteryWaiting.day == day, CemeteryWaiting.active)
        .values(active=False, status="cancelled")
        .execution_options(synchronize_session=False)
    )


def _add_booking(
    sess: Session,
    openid: str,
    who: Resident | CemeteryWaiting,
    day: date,
    companions: int,
    cemetery: Cemetery,
    gate: CemeteryGate,
    timetable_slot: dict,
    from_waitlist: bool = False,
) -> CemeteryBooking:
    """A new booking of ``who`` (the resident, or the waiting-list entry it comes from) in a slot whose places are
    taken, added to the session (not flushed)."""
    resident_id = who.id if isinstance(who, Resident) else who.resident_id
    booking = CemeteryBooking(
        openid=openid,
        resident_id=resident_id,
        id_number=who.id_number,
        cemetery_code=cemetery.code,
        gate_code=gate.code,
        day=day,
        start=timetable_slot["start"],
        end=timetable_slot["end"],
        companions=companions,
        from_waitlist=from_waitlist,
        cemetery=cemetery,
        gate=gate,
    )
    sess.add(booking)
    return booking


def create(sess: Session, openid: str, visit: Visit) -> CemeteryBooking:
    """Runs inside :func:`backoffice.idempotency.writing`; the caller commits. Who asks is checked first."""
    resident = verified_resident(sess, openid)
    cemetery = get_cemetery(sess, visit.cemetery_code)
    _companions(cemetery, visit.companions)
    if problem := day_problem(sess, visit.day, cemetery):
        raise problem
    gate, timetable_slot = gate_slot(cemetery, visit.gate_code, visit.start)
    if _holds(sess, resident.id_number, visit.day):  # said before the slot is tried; the unique index decides
        raise _already(visit.day)
    if not _take(sess, gate, visit.day, timetable_slot, 1 + visit.companions):
        raise slot_full(visit.day, gate, visit.start)
    booking = _add_booking(sess, openid, resident, visit.day, visit.companions, cemetery, gate, timetable_slot)
    booking_common.flush_or(sess, _already(visit.day))
    booking.number = booking_common.reference("JS", visit.day, booking.id)
    _close_waiting(sess, resident.id_number, visit.day)
    return booking


def join_waitlist(sess: Session, openid: str, cemetery_code: str, day: date, companions: int) -> CemeteryWaiting:
    """Only for a day without a place left for the party; a resident who holds a booking that day moves it instead."""
    resident = verified_resident(sess, openid)
    cemetery = get_cemetery(sess, cemetery_code)
    _companions(cemetery, companions)
    if problem := day_problem(sess, day, cemetery):
        raise problem
    if any(s["free"] >= 1 + companions for s in slots_of(sess, cemetery, day)):
        raise ApiError(409, "places_free", f"{chinese_date(day)}{cemetery.name}还有名额，可以直接预约，不用排候补。")
    if _holds(sess, resident.id_number, day):
        raise _already(day)
    entry = CemeteryWaiting(
        openid=openid,
        resident_id=resident.id,
        id_number=resident.id_number,
        cemetery_code=cemetery.code,
        day=day,
        companions=companions,
        cemetery=cemetery,
    )
    sess.add(entry)
    booking_common.flush_or(
        sess,
        ApiError(409, "already_waiting", f"您已经在排{chinese_date(day)}的候补了，有名额空出来会按先后给您。"),
    )
    entry.number = booking_common.reference("HB", day, entry.id)
    return entry


def fill_from_waitlist(sess: Session, cemetery: Cemetery, day: date, link: GateLink) -> list[CemeteryBooking]:
    """Give the day's free places to the waiting list, in the order it was joined. An entry whose party fits in no
    slot keeps its turn; the next ones that fit are served. The queue's rows are locked (PostgreSQL) so two
    cancellations at once fill it one after the other. Each resident served is told through the change feed, in
    this transaction (``link``: the new booking's gate-check link, which the message carries)."""
    queue = sess.scalars(
        select(CemeteryWaiting)
        .where(
            CemeteryWaiting.cemetery_code == cemetery.code,
            CemeteryWaiting.day == day,
            CemeteryWaiting.status == "waiting",
        )
        .order_by(CemeteryWaiting.id)
        .with_for_update()
    ).all()
    made = []
    slots = slots_of(sess, cemetery, day)  # read once; kept up to date below (this transaction holds the queue)
    for entry in queue:
        if not any(s["free"] for s in slots):
            break
        s = next((s for s in slots if s["free"] >= 1 + entry.companions), None)
        if s is None:
            continue
        s["free"] -= 1 + entry.companions
        gate, timetable_slot = gate_slot(cemetery, s["gate_code"], s["start"])
        try:
            with sess.begin_nested():
                booking = _promote(sess, entry, cemetery, gate, timetable_slot)
        except IntegrityError:  # they booked that day themselves meanwhile: they no longer wait
            s["free"] += 1 + entry.companions
            entry.status, entry.active = "cancelled", False
            continue
        if booking is None:
            continue
        booking.number = booking_common.reference("JS", day, booking.id)
        entry.status, entry.active, entry.booking_number = "booked", False, booking.number
        _tell_booked(sess, entry, booking, link)
        made.append(booking)
    sess.flush()
    return made


def notice_data(booking: CemeteryBooking, link: GateLink) -> dict:
    """What a message about one booking tells the resident (the change feed's ``data``): the day, the time, the
    cemetery and gate, how many people, and the gate-check link."""
    return {
        "what": "祭扫预约",
        "date": booking.day.isoformat(),
        "date_label": chinese_date(booking.day),
        "start": booking.start,
        "end": booking.end,
        "cemetery": booking.cemetery.name,
        "address": booking.cemetery.address,
        "phone": booking.cemetery.phone,
        "gate": booking.gate.name,
        "people": booking.people,
        "gate_url": link(booking.number or ""),
    }


def _tell_booked(sess: Session, entry: CemeteryWaiting, booking: CemeteryBooking, link: GateLink) -> None:
    """Publish the waiting-list place that became a booking, to the sender that joined the list while it is still
    bound to the same resident (an unbound WeChat is told about nobody's booking)."""
    if not feed.still_bound(sess, entry.openid, entry.resident_id):
        return
    feed.publish(
        sess,
        domain="cemetery",
        kind="waitlist_booked",
        ref=booking.number or "",
        recipient=entry.openid,
        status=booking.status,
        data={**notice_data(booking, link), "waiting_number": entry.number or ""},
        at=now(),
    )


def _promote(
    sess: Session, entry: CemeteryWaiting, cemetery: Cemetery, gate: CemeteryGate, timetable_slot: dict
) -> CemeteryBooking | None:
    if not _take(sess, gate, entry.day, timetable_slot, 1 + entry.companions):
        return None
    booking = _add_booking(
        sess, entry.openid, entry, entry.day, entry.companions, cemetery, gate, timetable_slot, from_waitlist=True
    )
    sess.flush()
    return booking


def used_label(booking: CemeteryBooking) -> str:
    """When the booking was checked in at the gate, as residents read it: 12月21日（周一）09:12."""
    return f"{chinese_date(booking.used_at.date())}{booking.used_at:%H:%M}" if booking.used_at else ""


def _used(booking: CemeteryBooking, what: str) -> ApiError:
    return ApiError(422, "booking_used", f"这个预约{used_label(booking)}已经在门口核验入园了，不能再{what}。")


def cancel(sess: Session, openid: str, number: str, link: GateLink) -> CemeteryBooking:
    booking = own_booking(sess, openid, number, lock=True)
    if booking.status == "cancelled":
        return booking  # cancelling twice is the same as once
    if booking.status == "used":
        raise _used(booking, "取消")
    if booking.day < today():
        raise ApiError(422, "booking_past", "这个预约的日子已经过了，不用取消")
    _free(sess, booking)
    booking.status, booking.active = "cancelled", False
    sess.flush()
    fill_from_waitlist(sess, booking.cemetery, booking.day, link)
    return booking


def leave_waitlist(sess: Session, openid: str, number: str) -> CemeteryWaiting:
    entry = own_waiting(sess, openid, number)
    if entry.status == "waiting":
        entry.status, entry.active = "cancelled", False
    return entry


def reschedule(sess: Session, openid: str, number: str, visit: Visit, link: GateLink) -> CemeteryBooking:
    """Takes the new places before freeing the old ones; the old slot's freed places go to its waiting list."""
    booking = own_booking(sess, openid, number, lock=True)
    if booking.status == "used":
        raise _used(booking, "改时间")
    if booking.status != "booked" or booking.day < today():
        raise ApiError(422, "booking_not_active", "这个预约已经取消或者已经过期了，不能改时间，可以重新预约")
    if (booking.day, booking.gate_code, booking.start) == (visit.day, visit.gate_code, visit.start):
        return booking  # already there: a repeated request changes nothing
    cemetery = booking.cemetery
    if problem := day_problem(sess, visit.day, cemetery):
        raise problem
    gate, timetable_slot = gate_slot(cemetery, visit.gate_code, visit.start)
    if not _take(sess, gate, visit.day, timetable_slot, booking.people):
        raise slot_full(visit.day, gate, visit.start)
    _free(sess, booking)
    old_day = booking.day
    booking.day, booking.gate_code, booking.gate = visit.day, gate.code, gate
    booking.start, booking.end = timetable_slot["start"], timetable_slot["end"]
    booking_common.flush_or(sess, _already(visit.day))
    _close_waiting(sess, booking.id_number, visit.day)
    fill_from_waitlist(sess, cemetery, old_day, link)
    return booking
