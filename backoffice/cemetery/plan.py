"""What staff plan for a season: when each day's booking opens, and how many visitors each gate's slot takes.

A changed opening is told to the residents already booked that day (the change feed, as the waiting list's push).

A slot's capacity starts as the gate's timetable (backoffice/seed/cemeteries.yaml) and may be changed by staff for
one day or several (the whole season): the day's ``cemetery_slot`` row holds it, with who set it. A capacity is
never set below the visitors already booked in the slot (the rows are locked while it is checked and written, and
the CHECK constraint backs it); more places go to the day's waiting list at once, as cancelled ones do.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backoffice.cemetery import booking, schedule
from backoffice.cemetery.models import Cemetery, CemeteryBooking, CemeteryGate, CemeteryOpening, CemeterySlot
from backoffice.changes import feed
from backoffice.errors import ApiError
from backoffice.marriage.calendar import chinese_date, now, today

CAPACITY_MAX = 10_000


def set_opening(sess: Session, day: date, opens_at: str, editor: str, link: booking.GateLink) -> dict:
    """Staff announce when booking ``day`` opens. A time that changes tells each resident already holding a booking
    that day (``link``: its gate-check link, which the message carries). Runs in the caller's write transaction."""
    try:
        moment = datetime.fromisoformat(opens_at)
    except (TypeError, ValueError):
        raise ApiError(422, "invalid_opens_at", "opens_at 应该是 YYYY-MM-DDTHH:MM 格式的时间") from None
    if schedule.season_of(day) is None:
        raise ApiError(422, "no_booking_needed", f"{chinese_date(day)}不在清明、冬至祭扫预约的日子里")
    moment = moment.replace(tzinfo=None)
    before = schedule.opens_at(sess, day)
    sess.merge(CemeteryOpening(day=day, opens_at=moment, announced_by=editor))
    if moment != before and day >= today():
        _tell_opening_moved(sess, day, moment, link)
    return {"date": day.isoformat(), "opens_at": moment.isoformat(timespec="minutes")}


def _tell_opening_moved(sess: Session, day: date, moment: datetime, link: booking.GateLink) -> None:
    """Publish the day's new opening to each resident with a live booking that day, on the sender that booked while
    it is still bound to the same resident (as the waiting list's push): their booking stands, and they can move or
    cancel it."""
    booked = sess.scalars(
        select(CemeteryBooking)
        .where(CemeteryBooking.day == day, CemeteryBooking.status == "booked")
        .order_by(CemeteryBooking.id)
    )
    for b in booked:
        if not feed.still_bound(sess, b.openid, b.resident_id):
            continue
        feed.publish(
            sess,
            domain="cemetery",
            kind="opening_moved",
            ref=b.number or "",
            recipient=b.openid,
            status=b.status,
            data={
                **booking.notice_data(b, link),
                "opens_at": moment.isoformat(timespec="minutes"),
                "opens_label": schedule.moment_label(moment),
            },
            at=now(),
        )


def season_plan(sess: Session, cemetery: Cemetery, first: date | None = None) -> dict:
    """Every day of the season under way (or the next one after ``first``): its opening (announced or the default
    rule) and each gate's slots with capacity, visitors booked and who set the capacity. A few queries."""
    season = schedule.season_of(first or today()) or schedule.upcoming(first or today())
    days = season.days()
    opening = schedule.openings(sess, days)
    announced = {
        o.day: o.announced_by for o in sess.scalars(select(CemeteryOpening).where(CemeteryOpening.day.in_(days)))
    }
    rows = booking.slot_rows(sess, cemetery, days)
    waiting = booking.waiting_counts(sess, cemetery.code, days)
    out = []
    for day in days:
        slots = []
        for gate in cemetery.gates:
            for t in gate.slots:
                row = rows.get((gate.code, day, t["start"]))
                slots.append(
                    {
                        "gate_code": gate.code,
                        "gate_name": gate.name,
                        "start": t["start"],
                        "end": t["end"],
                        "capacity": row.capacity if row else int(t["capacity"]),
                        "booked": row.booked if row else 0,
                        "capacity_by": row.capacity_by if row else "",
                    }
                )
        out.append(
            {
                "date": day.isoformat(),
                "label": chinese_date(day),
                "festival": day == season.term_day,
                "past": day < today(),
                "opens_at": opening[day].isoformat(timespec="minutes"),
                "opens_label": schedule.moment_label(opening[day]),
                "announced_by": announced.get(day, ""),
                "waiting": waiting.get(day, 0),
                "slots": slots,
            }
        )
    return {
        "season": season.json(),
        "days": out,
    }


def _gate(sess: Session, gate_code: str) -> CemeteryGate:
    gate = sess.get(CemeteryGate, gate_code)
    if gate is None:
        raise ApiError(404, "gate_not_found", "没有这个入口")
    return gate


def set_capacity(
    sess: Session, gate_code: str, start: str, capacity: int, days: list[date], editor: str, link: booking.GateLink
) -> list[dict]:
    """Set one gate's slot to ``capacity`` visitors on each of ``days``, all or none: refused when a day is not a
    booking day still to come, or already has more visitors booked in the slot. Runs in the caller's write
    transaction."""
    gate = _gate(sess, gate_code)
    _, timetable_slot = booking.gate_slot(gate.cemetery, gate_code, start)
    if not 0 <= capacity <= CAPACITY_MAX:
        raise ApiError(422, "invalid_capacity", f"名额要在0到{CAPACITY_MAX}之间")
    if not days:
        raise ApiError(422, "invalid_request", "请选要改名额的日子")
    for day in days:
        if schedule.season_of(day) is None:
            raise ApiError(422, "no_booking_needed", f"{chinese_date(day)}不在清明、冬至祭扫预约的日子里")
        if day < today():
            raise ApiError(422, "date_past", f"{chinese_date(day)}已经过去了，名额不能再改")
    for day in days:
        booking.ensure_slot(sess, gate, day, timetable_slot)
    slots = sess.scalars(
        select(CemeterySlot)
        .where(CemeterySlot.gate_code == gate_code, CemeterySlot.start == start, CemeterySlot.day.in_(days))
        .order_by(CemeterySlot.day)
        .with_for_update()  # no booking takes a place between the check and the change
        .execution_options(populate_existing=True)
    ).all()
    for slot in slots:
        if slot.booked > capacity:
            raise ApiError(
                422,
                "below_booked",
                f"{chinese_date(slot.day)} {start} {gate.name}已经约了{slot.booked}人，名额不能少于{slot.booked}。"
                "要减少，请先联系已经预约的人改约。",
            )
    raised = [s.day for s in slots if capacity > s.capacity]
    sess.execute(
        update(CemeterySlot)
        .where(CemeterySlot.id.in_([s.id for s in slots]))
        .values(capacity=capacity, capacity_by=editor)
        .execution_options(synchronize_session=False)
    )
    for day in raised:  # the new places go to the day's waiting list first
        booking.fill_from_waitlist(sess, gate.cemetery, day, link)
    changed = sess.scalars(
        select(CemeterySlot)
        .where(CemeterySlot.id.in_([s.id for s in slots]))
        .order_by(CemeterySlot.day)
        .execution_options(populate_existing=True)
    )
    return [
        {
            "date": s.day.isoformat(),
            "label": chinese_date(s.day),
            "start": s.start,
            "capacity": s.capacity,
            "booked": s.booked,
        }
        for s in changed
    ]
