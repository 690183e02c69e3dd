"""`rasa test core` on the conversation stories in bot/tests/ with the model `make test` trained."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tools import train

ROOT = Path(__file__).resolve().parents[2]
STORIES = sorted((ROOT / "bot" / "tests").glob("test_*_stories.yml"))


def test_there_are_story_tests_for_the_flows():
    assert {p.name for p in STORIES} >= {"test_marriage_stories.yml", "test_assistance_stories.yml"}


@pytest.mark.parametrize("stories", STORIES, ids=lambda p: p.stem)
def test_the_dialogue_follows_every_test_story(stories, tmp_path):
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
            str(tmp_path),
            "--fail-on-prediction-errors",
        ],
        cwd=ROOT,
        env=train.rasa_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
