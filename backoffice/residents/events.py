"""Life events the registry records about a resident (e.g. a new serious-illness expense).

Policy rules ask "did this happen recently?" (政策找人); the bureau's systems write
these rows, the campaign engine only reads them.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.orm import Base


class ResidentEvent(Base):
    __tablename__ = "resident_event"
    __table_args__ = (Index("ix_resident_event_resident_kind_date", "resident_id", "kind", "occurred_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"))
    kind: Mapped[str] = mapped_column(String(32))  # serious_illness_expense, hospitalisation … (docs/campaigns.md)
    occurred_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(Integer, default=0)  # yuan, e.g. the out-of-pocket medical expense
    note: Mapped[str] = mapped_column(String(120), default="")
