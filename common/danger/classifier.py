"""The danger classifier: what a message is about, learnt from labelled messages.

Three small models over the same features of a message: TF-IDF character 1–4-grams (which survive
typos, dialect spellings and missing punctuation), Jieba's words and word pairs (which tell 打折 from
打我, 摔倒过 from 摔倒了 and 不想 活动 from 不想 活 more surely), and what a pretrained sentence
encoder reads in it (common/danger/meaning.py: everyday troubles and despair in words the training
data never held):

- ``danger``: the probability that the message reports a person in danger (a linear support
  vector machine, its scores calibrated to probabilities by cross-validation);
- ``kind``: what is happening (violence, a fall or collapse, no food or money, neglect,
  abandonment, suicidal intent, sleeping rough);
- ``who``: who is at risk (the writer, an elderly person, a child, another adult).

The last two are logistic regressions. The choices (the pairs, the support vector machine, the
encoder beside the n-grams) were made by cross-validation on the training data and measured on the
evaluation sets (docs/handoff.md); ``features``, ``danger_model`` and ``regression`` are public so
that tools/danger_threshold.py cross-validates exactly what is trained here.

Trained on ``common/danger/training/**/*.yml`` only (the evaluation sets, tests/danger/, are never
read here; the folder is not Rasa's, so changing it never retrains the bot). Training takes a
minute or two (the encoder reads each training message once; its vectors are cached); the fitted
classifier is kept in ``models/danger-<hash>.joblib`` (the hash of the training files, this module,
scikit-learn's version and the encoder's), so a process loads it rather than training again.
``python -m tools.train`` trains it with the Rasa model; a process that finds no file trains and
writes it (or only keeps it in memory where models/ is read-only).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jieba
import joblib
import numpy as np
import sklearn
import yaml
from scipy.sparse import csr_matrix, hstack, spmatrix
from scipy.special import expit, softmax
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_union
from sklearn.svm import LinearSVC

from common.danger import meaning

ROOT = Path(__file__).resolve().parents[2]
TRAIN_DIR = Path(__file__).with_name("training")
MODELS = ROOT / "models"
_NOT_TEXT = re.compile(r"[^\w]+")
_DIGITS = re.compile(r"\d+")
_LOCK = threading.Lock()
# This module's code (and the encoder's) as the process imported it: a process that outlives an edit of this file must
# not save its model under the edited code's name.
_SOURCE = Path(__file__).read_bytes() + Path(meaning.__file__).read_bytes()
log = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, without spaces and punctuation (voice text has none), every
    number one sign (an ID number or a phone says nothing of danger, and is not kept in the features)."""
    return _DIGITS.sub("#", _NOT_TEXT.sub("", unicodedata.normalize("NFKC", text).lower()))


@dataclass(frozen=True)
class Reading:
    danger: float  # probability that a person is in danger
    kind: str
    who: str
    kind_sure: float  # the probability of ``kind`` among the kinds


# Function words (pronouns, particles, the commonest verbs): alone they say how a message is told, not
# what it tells. Danger reports are mostly first-person accounts (他就在…, 我也…) and ordinary
# messages mostly questions, so alone these words taught the model that an account is a danger
# (街道叫啥我也不晓得，就在公园边上 read 1.00). They stay in the pairs (打_我, 不_想) and in the
# character n-grams. Chosen by 5-fold cross-validation on the training data (docs/handoff.md). 已经
# tells a finished thing (已经送医院了) as often as a lasting one (已经两天没吃饭了): alone it read
# 已经记好了 as danger at 0.97; in pairs (已经_好了) it keeps both meanings.
FUNCTION_WORDS = frozenset(
    "我 你 他 她 它 的 了 就 在 也 都 还 又 是 吧 呢 啊 吗 呀 哦 嘛 着 过 和 跟 把 被 给 说 这 那 个 一 有 要 会 能 去 来 "
    "到 让 对 很 太 好 没 已经".split()
)


def _words(text: str) -> list[str]:
    """Jieba's words but the function words, and each pair of neighbours (不想_活动 is not 不想_活)."""
    words = jieba.lcut(text)
    kept = [word for word in words if word not in FUNCTION_WORDS]
    return kept + [f"{first}_{second}" for first, second in zip(words, words[1:])]


MEANING_WEIGHT = 1.0  # the encoder's columns beside the n-grams' (0.5 and 2.0 read the sets no better)


class Features:
    """The n-grams of the normalised message and the encoder's reading of it, side by side."""

    def __init__(self) -> None:
        self.ngrams = make_union(
            TfidfVectorizer(analyzer="char", ngram_range=(1, 4), sublinear_tf=True),
            TfidfVectorizer(analyzer=_words, sublinear_tf=True),
        )

    def fit_transform(self, texts: list[str]) -> spmatrix:
        """Fitted on training messages (their encodings come through the cache)."""
        return self._beside(
            self.ngrams.fit_transform([normalise(text) for text in texts]), meaning.encode_training(texts)
        )

    def transform(self, texts: list[str], training: bool = False) -> spmatrix:
        """``training``: the texts are training messages (cross-validation), so the cache may keep them."""
        encoded = meaning.encode_training(texts) if training else meaning.encode(texts)
        return self._beside(self.ngrams.transform([normalise(text) for text in texts]), encoded)

    @staticmethod
    def _beside(ngrams: spmatrix, encoded: np.ndarray) -> spmatrix:
        return hstack([ngrams, csr_matrix(encoded * MEANING_WEIGHT)], format="csr")


def features() -> Features:
    """The unfitted features: character 1–4-grams and Jieba's words and pairs, TF-IDF weighted, and
    the sentence encoder's 384 numbers."""
    return Features()


def regression() -> LogisticRegression:
    """The unfitted model of the kind and of who is at risk."""
    return LogisticRegression(C=C, class_weight="balanced", max_iter=5000)


def danger_model() -> CalibratedClassifierCV:
    """The unfitted model of danger or not: a linear SVM calibrated to probabilities over 5 folds."""
    return CalibratedClassifierCV(LinearSVC(C=1.0, class_weight="balanced", random_state=0), cv=5)


def training_data(folder: Path = TRAIN_DIR) -> tuple[list[dict], list[str]]:
    """Every labelled file of the folder: the danger reports and the ordinary messages."""
    danger: list[dict] = []
    ordinary: list[str] = []
    for path in sorted(folder.rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        danger += data.get("danger") or []
        ordinary += data.get("ordinary") or []
    return danger, ordinary


C = 10.0  # the regressions' inverse regularisation, chosen by cross-validation on the training data (docs/handoff.md)


class CalibratedLinear:
    """A fitted ``CalibratedClassifierCV`` of linear models with sigmoid calibration, read with one
    sparse product: the mean over its folds of ``expit(-(a * (x·w + c) + b))``, which is what its
    ``predict_proba`` computes for the positive class, without scikit-learn's per-call input checks
    (five folds' checks cost 10 ms of every resident message; this costs well under one)."""

    def __init__(self, fitted: CalibratedClassifierCV) -> None:
        folds = fitted.calibrated_classifiers_
        self.weights = np.vstack([fold.estimator.coef_[0] for fold in folds]).T  # features x folds
        self.offsets = np.array([fold.estimator.intercept_[0] for fold in folds])
        self.slopes = np.array([fold.calibrators[0].a_ for fold in folds])
        self.shifts = np.array([fold.calibrators[0].b_ for fold in folds])

    def probability(self, seen: spmatrix) -> float:
        scores = np.asarray(seen @ self.weights).ravel() + self.offsets
        return float(expit(-(self.slopes * scores + self.shifts)).mean())


class Multinomial:
    """A fitted multinomial ``LogisticRegression`` read with one sparse product and a softmax, as its
    ``predict_proba`` does, without scikit-learn's per-call input checks."""

    def __init__(self, fitted: LogisticRegression) -> None:
        self.classes = [str(name) for name in fitted.classes_]
        self.weights = fitted.coef_.T  # features x classes
        self.offsets = fitted.intercept_

    def probabilities(self, seen: spmatrix) -> np.ndarray:
        return softmax(np.asarray(seen @ self.weights).ravel() + self.offsets)


class Classifier:
    """One set of features (fitted on every message), read by the three models."""

    def __init__(self, danger: list[dict], ordinary: list[str]) -> None:
        reports = [row["text"] for row in danger]
        self.features = features()
        seen = self.features.fit_transform(reports + ordinary)
        self.danger = CalibratedLinear(danger_model().fit(seen, [1] * len(reports) + [0] * len(ordinary)))
        self.kind = Multinomial(regression().fit(seen[: len(reports)], [row["kind"] for row in danger]))
        self.who = Multinomial(regression().fit(seen[: len(reports)], [row["who"] for row in danger]))

    def read(self, text: str) -> Reading:
        seen = self.features.transform([text])
        kinds = self.kind.probabilities(seen)
        return Reading(
            self.danger.probability(seen),
            self.kind.classes[kinds.argmax()],
            self.who.classes[self.who.probabilities(seen).argmax()],
            float(kinds.max()),
        )


def model_path(folder: Path = TRAIN_DIR) -> Path:
    digest = hashlib.sha256(f"{sklearn.__version__}\n{meaning.identity()}\n".encode() + _SOURCE)
    for path in sorted(folder.rglob("*.yml")):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return MODELS / f"danger-{digest.hexdigest()[:16]}.joblib"


@cache
def _trained() -> Classifier:
    path = model_path()
    if path.exists():
        model: Classifier = joblib.load(path)
        model.read("你好")  # Jieba loads its dictionary on first use: here, not on a resident's first message
        return model
    model = Classifier(*training_data())
    try:
        path.parent.mkdir(exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        joblib.dump(model, partial)
        os.replace(partial, path)
    except OSError as exc:  # a read-only image: keep it in memory
        log.warning("danger classifier not saved", extra={"path": str(path), "error": str(exc)})
    return model


def trained() -> Classifier:
    """The process's classifier, loaded or trained once (threads of a web worker wait for the first)."""
    with _LOCK:
        return _trained()
