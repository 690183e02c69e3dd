from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from web.orm import Base

# The national 政务服务好差评 scale, best first; ``level`` 5 is 非常满意, 1 is 非常不满意.
LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
FOLLOW_UP_AT_OR_BELOW = 2  # 不满意 or worse opens a follow-up for a supervisor


class Rating(Base):
    __tablename__ = "feedback_rating"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"), index=True)
    task: Mapped[str] = mapped_column(String(40))  # what was rated: marriage_booking, handoff, question …
    level: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    follow_up: Mapped[str | None] = mapped_column(String(8), default=None, index=True)  # open, done; None: not needed
    follow_up_note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now, index=True)

    @property
    def label(self) -> str:
        return LEVELS.get(self.level, str(self.level))
