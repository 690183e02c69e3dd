"""Publishing changes and reading them back in order, by id.

The platform reads the feed with a cursor (``GET /changes?after=<id>``), so a change must never
become visible after a change with a higher id: a reader that had moved past that id would skip it.
Ids are assigned in commit order: on PostgreSQL every writer takes one transaction-scoped advisory
lock before its insert (held to its commit, so the next writer's id comes after this commit); SQLite
holds its single write lock from the first write to the commit anyway. A rolled-back writer leaves a
gap, never a late row. The lock is taken only by transactions that publish (status changes,
cancellations, reminders), a few a minute, at the end of their work.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backoffice.changes.models import Change
from backoffice.marriage import calendar
from backoffice.marriage.models import MarriageAppointment
from backoffice.residents.models import Resident
from backoffice.residents.registry import resident_for_openid

FEED_LOCK = 0x0C4A_46EE  # pg_advisory_xact_lock key of the feed's writers
REMINDER_FROM = time(10, 0)  # the day before an appointment, from 10:00 Shanghai time
MAX_LIMIT = 200
KEEP_READ = timedelta(days=7)  # a change the platform has read is kept this long (a platform restored from a backup
# reads it again), then forgotten: the feed does not keep residents' openids longer than it needs them


def _serialise_writers(sess: Session) -> None:
    if sess.get_bind().dialect.name == "postgresql":
        sess.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK})


def still_bound(sess: Session, sender: str | None, resident_id: int | None) -> bool:
    """The sender is bound, now, to the resident it applied as: an unbound WeChat, or a web chat whose
    sign-in is over (a shared computer), is not told about anyone's case."""
    if not sender or resident_id is None:
        return False
    resident: Resident | None = resident_for_openid(sess, sender)
    return resident is not None and resident.id == resident_id


def publish(
    sess: Session,
    *,
    domain: str,
    kind: str,
    ref: str,
    recipient: str,
    status: str = "",
    data: dict[str, Any] | None = None,
    once_key: str | None = None,
    at: datetime | None = None,
) -> None:
    """Record a change in the caller's transaction (it commits with the change it describes).
    With ``once_key``, a second change with the same key is not recorded."""
    _serialise_writers(sess)
    values = {
        "domain": domain,
        "kind": kind,
        "ref": ref,
        "recipient": recipient,
        "status": status,
        "data": data or {},
        "once_key": once_key,
        "at": at or datetime.now(),
    }
    if once_key is None:
        sess.add(Change(**values))
        sess.flush()
        return
    insert = postgresql.insert if sess.get_bind().dialect.name == "postgresql" else sqlite.insert
    sess.execute(insert(Change).values(**values).on_conflict_do_nothing(index_elements=["once_key"]))


def remind_tomorrow(sess: Session, now: datetime) -> int:
    """Publish the day-before reminder of each booked appointment whose time has come (once per
    appointment and day: a moved appointment is reminded of its new day). Returns how many it published."""
    if now.time() < REMINDER_FROM:
        return 0
    tomorrow = now.date() + timedelta(days=1)
    due = sess.scalars(
        select(MarriageAppointment).where(
            MarriageAppointment.status == "booked",
            MarriageAppointment.day == tomorrow,
            MarriageAppointment.number.is_not(None),
        )
    ).all()
    reminded = set(  # one query, however many appointments tomorrow has: the feed is read every 20 s
        sess.scalars(select(Change.once_key).where(Change.once_key.like(f"marriage_reminder:%:{tomorrow.isoformat()}")))
    )
    published = 0
    for appointment in due:
        key = f"marriage_reminder:{appointment.id}:{appointment.day.isoformat()}"
        if key in reminded:
            continue
        if not booked_by_a_party(sess, appointment):
            continue
        publish(
            sess,
            domain="marriage",
            kind="reminder",
            ref=appointment.number or "",
            recipient=appointment.openid,
            status=appointment.status,
            data=appointment_data(appointment),
            once_key=key,
            at=now,
        )
        published += 1
    return published


def booked_by_a_party(sess: Session, appointment: MarriageAppointment) -> bool:
    """The sender that booked is, now, bound to one of the appointment's parties."""
    resident = resident_for_openid(sess, appointment.openid)
    return resident is not None and resident.id_number in {p.id_number for p in appointment.parties}


def appointment_data(appointment: MarriageAppointment) -> dict[str, str]:
    kind = f"离婚{appointment.stage}" if appointment.service == "离婚" else appointment.service
    return {
        "what": f"{kind}登记",
        "date": appointment.day.isoformat(),
        "date_label": calendar.chinese_date(appointment.day),
        "start": appointment.start,
        "end": appointment.end,
        "office": appointment.office.name,
        "address": appointment.office.address,
        "office_phone": appointment.office.phone,
    }


def forget_read(sess: Session, position: int, now: datetime) -> int:
    """Delete the changes the reader has passed (ids up to its cursor ``position``) that are older than
    ``KEEP_READ``. Later ids are untouched, so the cursor never skips one. Returns how many."""
    return sess.execute(delete(Change).where(Change.id <= position, Change.at < now - KEEP_READ)).rowcount


def after(sess: Session, position: int, limit: int) -> list[Change]:
    """The changes after ``position``, oldest first."""
    limit = max(1, min(limit, MAX_LIMIT))
    return list(sess.scalars(select(Change).where(Change.id > position).order_by(Change.id).limit(limit)))


def change_json(change: Change) -> dict[str, Any]:
    return {
        "id": change.id,
        "domain": change.domain,
        "kind": change.kind,
        "ref": change.ref,
        "recipient": change.recipient,
        "status": change.status,
        "data": change.data,
        "at": change.at.isoformat(timespec="seconds"),
    }
