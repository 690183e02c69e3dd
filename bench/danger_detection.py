"""The danger check's cost: it reads every resident message before the bot sees it.

    .venv/bin/python -m bench.danger_detection [--messages 2000]

Prints how long training takes (once per process, on first use) and the time of one
``common.danger.assess`` call over the evaluation set's messages (tests/danger/fresh8.yml: p50, p99, max), plus
its figures (recall, false alarms). Recorded in docs/performance.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import yaml

from common import danger as dangers
from common.danger import classifier

EVALUATION = Path(__file__).resolve().parents[1] / "tests" / "danger" / "fresh8.yml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    data = yaml.safe_load(EVALUATION.read_text(encoding="utf-8"))
    danger = [row["text"] for row in data["danger"]]
    ordinary = list(data["ordinary"])

    started = time.perf_counter()
    classifier.Classifier(*classifier.training_data())
    print(f"training: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    classifier.trained()
    print(f"ready in a process (loaded from models/, or trained): {time.perf_counter() - started:.2f} s")

    texts = (danger + ordinary) * (args.messages // (len(danger) + len(ordinary)) + 1)
    timings = []
    for text in texts[: args.messages]:
        t0 = time.perf_counter()
        dangers.assess(text)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(
        f"assess: {len(timings)} messages, p50 {statistics.median(timings):.2f} ms, p99 {p99:.2f} ms, max {timings[-1]:.2f} ms"
    )

    missed = sum(dangers.assess(text) is None for text in danger)
    alarms = sum(dangers.assess(text) is not None for text in ordinary)
    print(f"fresh8: recall {1 - missed / len(danger):.3f}, false alarms {alarms / len(ordinary):.3%}")


if __name__ == "__main__":
    main()
