"""Grouping similar messages: character n-gram TF-IDF vectors and cosine similarity.

Chinese has no spaces and residents' messages are short and full of typos, so
character uni- and bi-grams compare them better than word tokens do.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

THRESHOLD = 0.3  # cosine at or above which two messages are put in one group (tuned on short Chinese messages)
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def ngrams(text: str, sizes: tuple[int, ...] = (1, 2)) -> Counter[str]:
    text = _NOISE.sub("", text.lower())
    return Counter(text[i : i + n] for n in sizes for i in range(len(text) - n + 1))


def tfidf(texts: Sequence[str]) -> list[dict[str, float]]:
    counts = [ngrams(t) for t in texts]
    df = Counter(g for c in counts for g in c)
    n = len(texts)
    vectors = []
    for c in counts:
        v = {g: tf * (math.log((1 + n) / (1 + df[g])) + 1) for g, tf in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({g: x / norm for g, x in v.items()})
    return vectors


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(g, 0.0) for g, x in a.items())


def group(texts: Sequence[str], threshold: float = THRESHOLD) -> list[list[int]]:
    """Indexes of ``texts`` in groups: each text joins the group whose first member it is
    most similar to (at least ``threshold``), or starts a group; biggest groups first."""
    vectors = tfidf(texts)
    groups: list[list[int]] = []
    for i, v in enumerate(vectors):
        best, score = None, threshold
        for g in groups:
            s = cosine(v, vectors[g[0]])
            if s >= score:
                best, score = g, s
        if best is None:
            groups.append([i])
        else:
            best.append(i)
    return sorted(groups, key=len, reverse=True)
