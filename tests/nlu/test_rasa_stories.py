"""`rasa test core` on the conversation stories in bot/tests/ with the model `make test` trained."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tools import train

ROOT = Path(__file__).resolve().parents[2]
STORIES = sorted((ROOT / "bot" / "tests").glob("test_*_stories.yml"))


def test_there_are_story_tests_for_the_flows():
    assert {p.name for p in STORIES} >= {"test_marriage_stories.yml", "test_assistance_stories.yml"}


def test_the_dialogue_follows_every_test_story(tmp_path):
    """Every file in one run: each run loads TensorFlow and the model, about a minute on a busy machine."""
    stories = tmp_path / "stories"
    stories.mkdir()
    for path in STORIES:
        shutil.copy(path, stories / path.name)
    out = tmp_path / "results"
    result = subprocess.run(
        [
            str(train.RASA),
            "test",
            "core",
            "--model",
            str(train.train()),
            "--stories",
            str(stories),
            "--out",
            str(out),
            "--fail-on-prediction-errors",
        ],
        cwd=ROOT,
        env=train.rasa_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    failed = out / "failed_test_stories.yml"
    assert result.returncode == 0, (failed.read_text(encoding="utf-8") if failed.exists() else "") + (
        result.stdout + result.stderr
    )[-4000:]
