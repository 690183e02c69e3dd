"""The review inbox: grouping, labelling, and an export Rasa accepts with personal data stripped."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from web.review import export, inbox, similarity
from web.review.models import ReviewItem

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"


def test_similar_messages_are_grouped():
    texts = ["低保怎么申请", "我想申请低保", "附近有没有长者食堂", "低保咋申请啊", "长者食堂在哪里"]
    groups = [sorted(texts[i] for i in g) for g in similarity.group(texts)]
    assert sorted(groups) == [
        ["低保咋申请啊", "低保怎么申请", "我想申请低保"],
        sorted(["附近有没有长者食堂", "长者食堂在哪里"]),
    ]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("我叫张三丰，身份证310101199001011234想申请低保", "我叫，身份证想申请低保"),
        ("电话13812345678帮我查一下", "电话帮我查一下"),
        ("我是李梅 138****5678 低保批了没", "我是 低保批了没"),
    ],
)
def test_personal_data_is_stripped(text, expected):
    assert export.strip_personal(text) == expected


@pytest.fixture
def sessions(db_url) -> sessionmaker:
    upgrade("platform", db_url)
    return sessionmaker(make_engine(db_url), expire_on_commit=False)


def test_labelled_items_are_exported_once_as_nlu_data(sessions, tmp_path):
    nlu = tmp_path / "nlu_data"
    nlu.mkdir()
    (nlu / "assistance.yml").write_text(
        'version: "3.1"\nnlu:\n  - intent: assistance_apply\n    examples: |\n'
        "      - 我想申请[低保](assistance_type)\n",
        encoding="utf-8",
    )
    with sessions.begin() as sess:
        items = [
            ReviewItem(text=t, reason="fallback")
            for t in ("俺家那个低保咋弄 我电话13812345678", "我想申请低保", "今天天气咋样", "嗯")
        ]
        sess.add_all(items)
        sess.flush()
        inbox.label(items[0], "assistance_apply", "主管")
        inbox.label(items[1], "assistance_apply", "主管")  # already in the training data: skipped
        inbox.label(items[2], inbox.OUT_OF_SCOPE, "主管")
        inbox.dismiss(items[3], "主管")
    out = tmp_path / "review.yml"
    with sessions.begin() as sess:
        assert export.export(sess, out, nlu) == 2
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["nlu"] == [
        {"intent": "assistance_apply", "examples": "- 俺家那个低保咋弄 我电话\n"},
        {"intent": "out_of_scope", "examples": "- 今天天气咋样\n"},
    ]
    with sessions.begin() as sess:
        assert export.export(sess, tmp_path / "again.yml", nlu) == 0
        assert sorted(i.status for i in sess.scalars(select(ReviewItem))) == [
            "dismissed",
            "exported",
            "exported",
            "exported",
        ]


def test_rasa_data_validate_accepts_the_export_with_the_projects_domain(tmp_path):
    if not RASA.exists():
        pytest.skip("the Rasa environment is not installed")
    data = tmp_path / "data"
    data.mkdir()
    examples, _ = export.collect(
        [
            ReviewItem(text="俺想问问那个低保 电话13812345678", label="assistance_apply"),
            ReviewItem(text="公积金咋个取出来", label="out_of_scope"),
        ],
        set(),
    )
    (data / "review.yml").write_text(export.nlu_yaml(examples), encoding="utf-8")
    shutil.copytree(ROOT / "bot" / "domain", tmp_path / "domain")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "bot"),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    result = subprocess.run(
        [
            str(RASA),
            "data",
            "validate",
            "--domain",
            "domain",
            "--data",
            "data",
            "--config",
            str(ROOT / "bot" / "config.yml"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "13812345678" not in (data / "review.yml").read_text(encoding="utf-8")


def test_an_agents_correction_is_labelled_at_once(sessions):
    from web.conversations.models import Conversation, Message

    with sessions.begin() as sess:
        conv = Conversation(sender_id="web:r1", channel="web")
        sess.add(conv)
        sess.flush()
        said = Message(
            conversation_id=conv.id, author="resident", text="那个补贴咋领", meta={"intent": "faq", "confidence": 0.7}
        )
        sess.add(said)
        sess.flush()
        item = inbox.add_correction(sess, said.id, "eldercare_allowance", "agent7")
        assert (item.reason, item.status, item.label, item.guess) == (
            "agent_corrected",
            "labelled",
            "eldercare_allowance",
            "faq",
        )
