"""BM25 (rank-bm25's Okapi variant) over jieba tokens of the handbook, district-aware.

A question counts as answered by an entry only when the entry covers most of the question's
meaning: the idf-weighted share of the question's words found in the entry (``coverage``) must
reach ``MIN_COVERAGE``; words the handbook never uses weigh as much as an average word. So
"骨灰盒多少钱" is not answered with the 祭扫 entry just because both say 骨灰.

The index is rebuilt whenever the entries change: every search first reads a cheap
fingerprint (count, max id, sum of versions), so an administrator's edit is answered
from the next question on, in every worker, without a restart.

The question is first read in the handbook's words (``wording``): traditional characters
simplified, same-sound misspellings of the handbook's words corrected. A long question that no
entry covers as a whole is searched again by its key sentences (the clauses that ask, alone and
with each other clause), within the topic the NLU chose when it chose one, so a story told before
the question does not hide it.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import jieba
from rank_bm25 import BM25Okapi
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.handbook.models import HandbookEntry
from backoffice.handbook.wording import SoundAlike, key_sentences
from common.simplified import simplified

jieba.setLogLevel(60)

# Words that carry no meaning for finding an entry (question words, particles, pronouns, politeness).
STOPWORDS = frozenset(
    "的 了 吗 呢 吧 啊 呀 么 嘛 哦 我 你 您 他 她 它 我们 咱 咱们 他们 是 在 有 没有 和 与 或 就 都 也 还 要 想 能 可以 会 "
    "怎么 怎么样 怎样 如何 什么 哪里 哪儿 哪些 哪个 多少 几 请问 请 问 一下 一个 这个 那个 这 那 个 给 跟 对 把 被 让 "
    "现在 知道 告诉 帮 帮忙 办 办理 谢谢 你好 好 去 到 从 上 下 里 中 哪 那里 这里 老是 总是 一直 钱 多少钱 能领 个人 是不是 有没有 "
    # how a question is framed and what a story is padded with
    "意思 什么样 怎么回事 怎么弄 怎么办 应该 不是 一点 一部分 部分 听说 问问 这种 那种 这样 那样 像 人家 家里 我家 "
    "别人 东西 事情 政府 国家 听人说 好像 然后 就是 那么".split()
)
# Shanghainese (and other southern) words for the same things, read as Mandarin before searching
DIALECT = {
    "阿拉": "我们",
    "侬": "你",
    "伊": "他",
    "伐": "吗",
    "额": "的",
    "啥": "什么",
    "哪能": "怎么",
    "铜钿": "钱",
    "屋里厢": "家里",
    "屋里": "家里",
    "呒没": "没有",
    "事体": "事情",
    "搿个": "这个",
    "勿": "不",
}
PUNCT = re.compile(r"^[\W_]+$")
FIELD_WEIGHTS = (("title", 3), ("keywords", 3), ("body", 1), ("conditions", 1), ("how_to_apply", 1), ("documents", 1))
DISTRICT_BOOST = 1.2
MIN_COVERAGE = 0.45


def tokens(text: str) -> list[str]:
    """Search-mode jieba words without the stopwords. Dictionary words only (no HMM guesses): a guess glues
    unknown characters to their neighbours (想租个, 减伐), and the glued word is then in no entry."""
    return [
        t
        for t in (DIALECT.get(w, w) for w in (w.strip().lower() for w in jieba.lcut_for_search(text, HMM=False)))
        if t and t not in STOPWORDS and not PUNCT.match(t)
    ]


def _document(e: HandbookEntry) -> list[str]:
    out: list[str] = []
    for field, weight in FIELD_WEIGHTS:
        value = getattr(e, field)
        text = " ".join(value) if isinstance(value, list) else value or ""
        out += tokens(text) * weight
    return out


@dataclass
class _Index:
    fingerprint: tuple
    ids: list[int]
    topics: list[str]
    districts: list[str | None]
    vocab: list[set[str]]
    bm25: BM25Okapi | None
    sounds: SoundAlike

    def coverage(self, i: int, query: list[str]) -> float:
        weights = [self.bm25.idf.get(t, self.bm25.average_idf) for t in query]
        found = sum(w for t, w in zip(query, weights) if t in self.vocab[i])
        return found / sum(weights) if sum(weights) > 0 else 0.0


@dataclass(frozen=True)
class Match:
    entry_id: int
    score: float
    coverage: float


_lock = threading.Lock()
_index: _Index | None = None


def _fingerprint(sess: Session) -> tuple:
    return tuple(
        sess.execute(
            select(
                func.count(HandbookEntry.id),
                func.max(HandbookEntry.id),
                func.coalesce(func.sum(HandbookEntry.version), 0),
            )
        ).one()
    )


def _current(sess: Session) -> _Index:
    global _index
    fp = _fingerprint(sess)
    with _lock:
        if _index is None or _index.fingerprint != fp:
            entries = sess.scalars(select(HandbookEntry).order_by(HandbookEntry.id)).all()
            for e in entries:  # the administrator's keywords teach jieba the domain's words
                for word in e.keywords:
                    jieba.add_word(word)
            docs = [_document(e) for e in entries]
            _index = _Index(
                fp,
                [e.id for e in entries],
                [e.topic for e in entries],
                [e.district_code for e in entries],
                [set(d) for d in docs],
                BM25Okapi(docs) if docs else None,
                SoundAlike(set().union(*map(set, docs), *(e.keywords for e in entries))),
            )
        return _index


def _ranked(
    index: _Index, q: list[str], topic: str | None, district: str | None, min_coverage: float, topic_only: bool
) -> list[tuple[float, int]]:
    """(score, entry index) of the entries covering ``q``: of ``topic`` when it has any (only of it when
    ``topic_only``), else of any topic."""
    if not q:
        return []
    scores = index.bm25.get_scores(q)
    ranked = []
    for i, score in enumerate(scores):
        entry_district = index.districts[i]
        if (
            score <= 0
            or (district and entry_district and entry_district != district)
            or index.coverage(i, q) < min_coverage
        ):
            continue
        ranked.append((score * (DISTRICT_BOOST if district and entry_district == district else 1.0), i))
    if topic and (topic_only or any(index.topics[i] == topic for _s, i in ranked)):
        ranked = [(s, i) for s, i in ranked if index.topics[i] == topic]
    return ranked


def search(
    sess: Session,
    query: str,
    topic: str | None = None,
    district: str | None = None,
    limit: int = 3,
    min_coverage: float = MIN_COVERAGE,
) -> list[Match]:
    """Entries answering ``query`` best, of ``topic`` when it has any, else of any topic.

    Scores come from the whole handbook (so term weights are meaningful); entries of another district are left
    out when the district is known, and entries of the resident's own district get a small boost. A question
    no entry covers as a whole is tried by its key sentences, within ``topic`` when it is given."""
    index = _current(sess)
    if index.bm25 is None:
        return []
    text = index.sounds.correct(simplified(query))
    q = tokens(text)
    best = {i: (s, q) for s, i in _ranked(index, q, topic, district, min_coverage, topic_only=False)}
    if not best:
        for sentence in key_sentences(text):
            part = tokens(sentence)
            for s, i in _ranked(index, part, topic, district, min_coverage, topic_only=bool(topic)):
                if s > best.get(i, (0.0, []))[0]:
                    best[i] = (s, part)
    ranked = sorted(((s, i, words) for i, (s, words) in best.items()), reverse=True)
    return [
        Match(index.ids[i], round(float(s), 4), round(index.coverage(i, words), 3)) for s, i, words in ranked[:limit]
    ]
