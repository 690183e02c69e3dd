"""Labelled review items → Rasa NLU training data, personal data stripped.

``python -m web.review.export`` (``make nlu-review-export``) writes every labelled item
not exported before to ``nlu_data/review_<date>.yml`` and marks it exported; commit
the file, then ``make train`` and ``make nlu-eval`` show the effect.
"""

from __future__ import annotations

import argparse
import getpass
import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from common.masking import remove_personal_numbers
from common.settings import ROOT
from web.admin.audit import audit
from web.review.models import ReviewItem

NLU_DATA = ROOT / "nlu_data"
# Already-masked numbers (310***********1234, 138****1234) and names introduced by the resident.
_MASKED = re.compile(r"[0-9A-Za-z]*\*{3,}[0-9Xx]*")
_INTRODUCED_NAME = re.compile(r"(我叫|我是|本人|名字是|名叫|姓名)\s*[\u4e00-\u9fa5]{2,4}")
_SPACES = re.compile(r"\s+")


def strip_personal(text: str) -> str:
    """The text without ID numbers, phones (masked or not) and personal names."""
    import jieba.posseg

    text = remove_personal_numbers(text)  # every written, spoken, spaced or +86 form
    text = _MASKED.sub("", text)
    text = _INTRODUCED_NAME.sub(lambda m: m.group(1), text)
    text = "".join(word for word, flag in jieba.posseg.cut(text) if flag != "nr")
    return _SPACES.sub(" ", text).strip(" ，,。")


def existing_examples(folder: Path = NLU_DATA) -> set[str]:
    """Every example text already in the training data (any intent), so none is added twice."""
    seen: set[str] = set()
    for path in folder.rglob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or [] if isinstance(data, dict) else []:
            if isinstance(block, dict) and "intent" in block:
                for line in str(block.get("examples") or "").splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        seen.add(re.sub(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})", r"\1", line[2:]).strip())
    return seen


def nlu_yaml(examples: dict[str, list[str]]) -> str:
    """Rasa 3 NLU training data, one block per intent."""
    lines = ['version: "3.1"', "", "# From the NLU review inbox (web/review): personal data stripped.", "nlu:"]
    for intent in sorted(examples):
        lines += [f"  - intent: {intent}", "    examples: |"]
        lines += [f"      - {text}" for text in examples[intent]]
    return "\n".join(lines) + "\n"


def collect(items: Iterable[ReviewItem], known: set[str]) -> tuple[dict[str, list[str]], list[ReviewItem]]:
    """The examples to add, by intent, and the items they came from (blank or known ones skipped)."""
    examples: dict[str, list[str]] = {}
    used: list[ReviewItem] = []
    for item in items:
        text = strip_personal(item.text)
        if len(text) < 2 or text in known or item.label is None:
            continue
        known.add(text)
        examples.setdefault(item.label, []).append(text)
        used.append(item)
    return examples, used


def export(sess: Session, out: Path, folder: Path = NLU_DATA) -> int:
    """Write the labelled, not yet exported items to ``out``; mark them exported (audited). The number written."""
    items = sess.scalars(select(ReviewItem).where(ReviewItem.status == "labelled").order_by(ReviewItem.id)).all()
    examples, used = collect(items, existing_examples(folder))
    if not used:
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(nlu_yaml(examples), encoding="utf-8")
    for item in items:
        item.status = "exported"
    audit(sess, "export_nlu_review", rows=len(used), via="command line", by=getpass.getuser(), file=out.name)
    return len(used)


def main(argv: list[str] | None = None) -> int:
    from sqlalchemy.orm import sessionmaker

    from common import settings
    from common.db import make_engine

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=NLU_DATA / f"review_{date.today():%Y%m%d}.yml")
    args = parser.parse_args(argv)
    sessions = sessionmaker(make_engine(settings.load().database_url))
    with sessions.begin() as sess:
        written = export(sess, args.out)
    print(f"{written} examples written to {args.out}" if written else "nothing labelled to export")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def known_intents(root: Path = ROOT) -> list[str]:
    """The intents a reviewer can choose: the domain's (bot/domain) and the FAQ keys in the training data
    (read again only when one of those files changed: the agent console asks on every page)."""
    files = tuple(sorted((root / "bot" / "domain").glob("*.yml"))) + tuple(sorted((root / "nlu_data").rglob("*.yml")))
    return list(_known_intents(root, tuple((path, path.stat().st_mtime_ns) for path in files)))


@lru_cache(maxsize=4)
def _known_intents(root: Path, _files: tuple[tuple[Path, int], ...]) -> tuple[str, ...]:
    names: set[str] = set()
    for path in (root / "bot" / "domain").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for intent in data.get("intents") or []:
            name = next(iter(intent)) if isinstance(intent, dict) else str(intent)
            if not name.startswith("feedback_"):  # sent by buttons, never typed
                names.add(name)
    for path in (root / "nlu_data").rglob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in (data.get("nlu") or []) if isinstance(data, dict) else []:
            if isinstance(block, dict) and "/" in str(block.get("intent", "")):
                names.add(str(block["intent"]))
    names.discard("faq")  # a retrieval intent is labelled with its key, faq/<key>
    return tuple(sorted(names))
