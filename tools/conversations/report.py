"""The suite's figures and the worst conversations, as text for a terminal and for docs/nlu.md."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass

from common.masking import mask_text
from tools.conversations.run import Result

SUCCESS_GOAL = 0.95


@dataclass(frozen=True)
class Figures:
    total: int
    succeeded: int
    turns_per_success: float
    turns: int
    fallbacks: int  # turns the NLU did not understand (nlu_fallback), whether or not a form read them anyway
    misunderstood: int  # the bot's "didn't understand" replies
    handoffs: int  # conversations that ended at the agent desk
    triple_asked: int  # conversations in which a question was asked 3+ times

    @property
    def success(self) -> float:
        return self.succeeded / self.total if self.total else 0.0

    @property
    def goals_met(self) -> bool:
        return self.total > 0 and self.success >= SUCCESS_GOAL and self.triple_asked == 0


def figures(results: list[Result]) -> Figures:
    wins = [r for r in results if r.ok]
    return Figures(
        total=len(results),
        succeeded=len(wins),
        turns_per_success=statistics.mean(len(r.turns) for r in wins) if wins else 0.0,
        turns=sum(len(r.turns) for r in results),
        fallbacks=sum(r.fallbacks for r in results),
        misunderstood=sum(r.misunderstood for r in results),
        handoffs=sum("handed_off" in r.verdict.happened for r in results),
        triple_asked=sum(bool(r.verdict.triple_asked) for r in results),
    )


def _rate(group: list[Result]) -> str:
    ok = sum(r.ok for r in group)
    return f"{ok}/{len(group)} ({100 * ok / len(group):.0f} %)"


def _table(title: str, groups: dict[str, list[Result]]) -> list[str]:
    lines = [title]
    for key in sorted(groups, key=lambda k: (sum(r.ok for r in groups[k]) / len(groups[k]), k)):
        lines.append(f"  {key:<18} {_rate(groups[key])}")
    return lines


def badness(r: Result) -> tuple:
    """Worse first: failed, asked the same thing 3+ times, not understood, long."""
    return (r.ok, -len(r.verdict.triple_asked), -r.misunderstood, -r.fallbacks, -len(r.turns))


def transcript(r: Result) -> list[str]:
    lines = [f"--- {r.conv.id} ({r.conv.source}, {r.conv.flow}, {' '.join(r.conv.style)}; expect {r.conv.expect})"]
    if r.conv.known_defect:
        lines.append(f"    known defect: {r.conv.known_defect}")
    lines += [f"    why: {why}" for why in r.verdict.reasons]
    lines += [f"    asked 3+ times: {q}" for q in r.verdict.triple_asked]
    for t in r.turns:
        flag = " [fallback]" if t.fallback else ""
        lines.append(f"    居民: {mask_text(t.said)}   ({t.intent or '-'}{flag}, {t.seconds:.1f} s)")
        for reply in t.replies or ([t.passive] if t.passive else ["(no answer)"]):
            lines.append("    助手: " + mask_text(reply).replace("\n", "\n          "))
    return lines


def outcomes(results: list[Result]) -> list[dict]:
    """One line per conversation, for comparing two runs (``var/conversations/results.json``)."""
    return [
        {
            "id": r.conv.id,
            "flow": r.conv.flow,
            "ok": r.ok,
            "why": r.verdict.reasons,
            "turns": len(r.turns),
            "misunderstood": r.misunderstood,
            "triple_asked": r.verdict.triple_asked,
            "known_defect": r.conv.known_defect,
        }
        for r in results
    ]


def render(results: list[Result], seconds: float, workers: int, worst: int = 12) -> str:
    f = figures(results)
    by_flow: dict[str, list[Result]] = defaultdict(list)
    by_style: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_flow[r.conv.flow].append(r)
        for tag in r.conv.style:
            by_style[tag].append(r)
    turn_times = [t.seconds for r in results for t in r.turns]
    lines = [
        f"conversations: {f.total}, {f.turns} turns, {seconds:.0f} s with {workers} residents at once"
        + (f" (median turn {statistics.median(turn_times):.1f} s)" if turn_times else ""),
        f"task success: {f.succeeded}/{f.total} = {100 * f.success:.1f} % (goal ≥ {100 * SUCCESS_GOAL:.0f} %)",
        f"turns per success: {f.turns_per_success:.1f}",
        f'fallbacks: {f.misunderstood} "didn\'t understand" replies in '
        f"{sum(r.misunderstood > 0 for r in results)} conversations; NLU fallback on {f.fallbacks} of {f.turns} turns "
        f"({100 * f.fallbacks / max(f.turns, 1):.1f} %, forms read most of them anyway)",
        f"handoffs: {f.handoffs} conversations ({sum(r.conv.expect == 'handed_off' for r in results)} expected one)",
        f"asked the same question 3+ times: {f.triple_asked} conversations (goal 0)",
        "goals: " + ("met" if f.goals_met else "NOT met"),
        "",
        *_table("by flow:", by_flow),
        *_table("by style:", by_style),
    ]
    known = [r for r in results if r.conv.known_defect]
    if known:
        lines += ["", "known defects (counted above too):"]
        lines += [f"  {'pass' if r.ok else 'FAIL'} {r.conv.id} ({r.conv.known_defect})" for r in known]
    failed = [r for r in results if not r.ok]
    if failed:
        lines += ["", "failed:"]
        lines += [f"  {r.conv.id}: {'; '.join(r.verdict.reasons)}" for r in sorted(failed, key=lambda r: r.conv.id)]
    shown = sorted(results, key=badness)[:worst]
    if shown:
        lines += ["", f"worst {len(shown)}:"]
        for r in shown:
            lines += transcript(r)
    return "\n".join(lines)
