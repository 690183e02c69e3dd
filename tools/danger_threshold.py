"""Choose the danger classifier's threshold by 5-fold cross-validation on its training data.

The rule (docs/handoff.md): the highest threshold whose cross-validated recall on the danger
reports is at least ``--recall`` (0.98). Never looks at tests/danger/: the held-out sets measure
the result, they do not choose it. Prints recall and false alarms per threshold and the choice;
``common.danger.THRESHOLD`` is then set to it by hand, with the figures recorded in docs/handoff.md.

    .venv/bin/python -m tools.danger_threshold [--recall 0.98]
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.model_selection import StratifiedKFold

from common.danger.classifier import CalibratedLinear, danger_model, features, training_data

STEPS = np.round(np.arange(0.20, 0.801, 0.02), 2)


def out_of_fold_probabilities(folds: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Each training message's probability of danger from a model fitted without its fold."""
    danger, ordinary = training_data()
    texts = np.array([row["text"] for row in danger] + list(ordinary), dtype=object)
    labels = np.array([1] * len(danger) + [0] * len(ordinary))
    scores = np.zeros(len(texts))
    for fit, held in StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, labels):
        seeing = features()
        model = CalibratedLinear(danger_model().fit(seeing.fit_transform(list(texts[fit])), labels[fit]))
        seen = seeing.transform(list(texts[held]), training=True)
        scores[held] = [model.probability(seen[row]) for row in range(seen.shape[0])]
    return scores, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recall", type=float, default=0.98, help="the recall the threshold must keep")
    wanted = parser.parse_args().recall
    scores, labels = out_of_fold_probabilities()
    danger, ordinary = scores[labels == 1], scores[labels == 0]
    print(f"training data: {len(danger)} danger reports, {len(ordinary)} ordinary messages; 5-fold out-of-fold")
    print("threshold  recall  false alarms")
    chosen = None
    for threshold in STEPS:
        recall = float((danger >= threshold).mean())
        alarms = float((ordinary >= threshold).mean())
        print(f"{threshold:9.2f}  {recall:6.3f}  {alarms:11.1%}")
        if recall >= wanted:
            chosen = threshold
    print(f"chosen (highest with recall ≥ {wanted}): {chosen}")


if __name__ == "__main__":
    main()
