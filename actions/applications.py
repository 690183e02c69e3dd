"""Every application the resident has, of every kind the back-office holds for them, newest first: the
answer to the general progress question (进度, 申请到哪一步了, 我的申请怎么样了).

The kinds are social assistance (救助), the benefits (惠民殡葬 and 残疾人两项补贴) and eldercare's
(长护险评估, 适老化改造); each is one list the back-office gives by the sender's openid. A question that
names one kind is answered by that kind's own progress action, in more detail.
"""

from __future__ import annotations

from dataclasses import dataclass

from actions import (
    eldercare,  # a module, not its names: eldercare imports (through handbook) this module
    services,
)
from common.dates import full_date


@dataclass(frozen=True)
class Application:
    """One application as the resident is told it."""

    made: str  # when it was made (ISO), to put the newest first
    title: str  # 低保, 生态安葬补贴, 长护险评估
    number: str  # its case number or reference
    whose: str  # "" when it is the resident's own, else 您母亲的 / 您家王**的
    status: str  # where it stands, in plain words
    reason: str = ""  # why (a return or a refusal)
    next_step: str = ""

    def line(self) -> str:
        text = f"{full_date(self.made)}申请的{self.title}（{self.whose}编号 {self.number}）：{sentence(self.status)}"
        return text + (f"原因：{sentence(self.reason)}" if self.reason else "")


def sentence(text: str) -> str:
    return text.rstrip("。") + "。"


def _relative(relation: str) -> str:
    return "" if relation in ("", "本人") else f"您{relation}的，"


def _assistance(openid: str) -> list[Application]:
    found = services.backoffice().get("/assistance/applications", openid=openid)["applications"]
    return [
        Application(
            c["created_at"],
            c["type"],
            c["case_no"],
            _relative(c["applicant"]["relation"]),
            c["status_text"],
            c["status_reason"] or "",
            c["next_step"] or "",
        )
        for c in found
    ]


def _benefits(openid: str) -> list[Application]:
    found = services.backoffice().get("/benefits/applications", openid=openid)["applications"]
    return [
        Application(
            c["created_at"],
            c["title"],
            c["case_no"],
            _relative(c["subject"]["relation"]),
            c["status_text"],
            c["status_reason"] or "",
            c["next_step"] or "",
        )
        for c in found
    ]


def _eldercare(openid: str) -> list[Application]:
    found = services.backoffice().get("/eldercare/applications", openid=openid)["applications"]
    return [
        Application(
            a["created_at"],
            eldercare.KIND_NAMES[a["kind"]],
            a["reference"],
            "" if a["subject"]["self"] else f"您家{a['subject']['name']}的，",
            a["status_text"],
        )
        for a in found
    ]


def of(openid: str) -> list[Application]:
    """Every application of the resident bound to ``openid``, newest first. The back-office's ``not_bound``
    (a :class:`~common.backoffice_client.BackofficeError`) when the sender is not verified, and
    :class:`~common.backoffice_client.BackofficeUnavailable` when any list cannot be read: a part of the
    answer is never given as the whole."""
    found = [*_assistance(openid), *_benefits(openid), *_eldercare(openid)]
    return sorted(found, key=lambda a: a.made, reverse=True)


def told(found: list[Application]) -> str:
    """The answer: each application in a line, newest first (the next step too when there is one), or
    plainly that there is none."""
    if not found:
        return "查过了，您名下还没有任何申请。想办哪一项，直接跟我说就行，比如“申请救助”“帮我申请殡葬减免”。"
    if len(found) == 1:
        only = found[0]
        text = "帮您查到了，您名下有1份申请：\n" + only.line()
        return text + (f"\n下一步：{sentence(only.next_step)}" if only.next_step else "")
    lines = "\n".join(f"{n}. {a.line()}" for n, a in enumerate(found, 1))
    return (
        f"帮您查到了，您名下有{len(found)}份申请，最新的在前面：\n{lines}\n\n"
        f"想细问哪一份，说它的名字加“进度”就行，比如“{found[0].title}进度”。"
    )
