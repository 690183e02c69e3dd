"""The demo region's on-call rota (``make run``): someone on call every evening, night, weekend
and public holiday, and a two-person escalation list. Synthetic people; their numbers reach the
alert gateway stand-in only. Written once, into an empty rota: an administrator's changes stay.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from web.oncall.models import OncallShift, OncallWorker

# name, role, phone, escalation rank, shifts (days, starts, ends)
DEMO_ROTA: tuple[tuple[str, str, str, int | None, tuple[tuple[str, str, str], ...]], ...] = (
    ("王芳", "值班社工", "13800000001", None, (("mon,wed", "17:00", "09:00"),)),
    ("李强", "值班社工", "13800000002", None, (("tue,thu", "17:00", "09:00"),)),
    ("张敏", "值班社工", "13800000003", None, (("fri", "17:00", "09:00"), ("sat", "09:00", "09:00"))),
    ("赵磊", "值班社工", "13800000004", None, (("sun,holiday", "09:00", "09:00"),)),
    ("陈静", "值班科长", "13800000005", 1, ()),
    ("刘建国", "分管副局长", "13800000006", 2, ()),
)


def seed(sessions: sessionmaker) -> str:
    """The demo rota, unless there is one already; what was done, for the start-up log."""
    with sessions.begin() as sess:
        existing = sess.scalar(select(func.count()).select_from(OncallWorker)) or 0
        if existing:
            return f"kept ({existing} people on the rota)"
        for name, role, phone, rank, shifts in DEMO_ROTA:
            worker = OncallWorker(name=name, role=role, phone=phone, escalation_rank=rank)
            worker.shifts = [OncallShift(days=days, starts=starts, ends=ends) for days, starts, ends in shifts]
            sess.add(worker)
    return f"{len(DEMO_ROTA)} people, someone on call every evening, night, weekend and holiday"
