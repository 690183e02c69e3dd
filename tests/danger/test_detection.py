"""Danger detection measured on tests/danger/fresh8.yml (320 danger reports, 640 ordinary messages:
the labelled set of issue 20), written blind before the eighth round of training data by writers who
read neither the training data nor any earlier set, merged unread, never trained on and nothing tuned
on it. The seven sets before it were each read once measured, and are training data now
(common/danger/training/former_evaluation/; docs/handoff.md says how each was used).

Prints recall on the danger reports and the false-alarm rate on the ordinary messages (most of
which hold trigger words or their neighbours), with the kind and who-at-risk accuracy, against
the goals of issue 20 (recall ≥ 0.98, false alarms ≤ 2 %). Fails when the figures fall below
what was last measured and recorded in docs/handoff.md (``FLOOR``), and on a miss nobody has
read and listed there.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from common import danger as dangers
from common.danger.classifier import normalise, training_data

ROOT = Path(__file__).resolve().parents[2]
SETS = {
    name: yaml.safe_load(Path(__file__).with_name(f"{name}.yml").read_text(encoding="utf-8")) for name in ("fresh8",)
}
KINDS = set(yaml.safe_load(dangers.RESPONSES_FILE.read_text(encoding="utf-8"))["kinds"])
WHO = {"self", "elderly", "child", "other"}
GOAL = {"recall": 0.98, "false_alarms": 0.02}  # issue 20
FLOOR = {  # as measured and recorded in docs/handoff.md, with one message more for the training's noise
    "fresh8": {"recall": 0.984, "false_alarms": 0.021},  # 316 of 320, 12 of 640
}


def _listed(heading: str) -> set[str]:
    """The messages docs/handoff.md lists under ``heading`` (one `message` per line)."""
    doc = (ROOT / "docs" / "handoff.md").read_text(encoding="utf-8")
    section = doc.split(f"#### {heading}", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^- `([^`]+)`", section, re.M))


def _reviewed_misses() -> set[str]:
    return _listed("Reviewed misses")


def _pairs(text: str) -> set[str]:
    compact = normalise(text)
    return {compact[i : i + 2] for i in range(len(compact) - 1)} or {compact}


@pytest.mark.parametrize(("name", "size"), [("fresh8", (300, 600))])
def test_the_held_out_sets_are_large_labelled_and_apart_from_the_training_data(name, size):
    danger, ordinary = SETS[name]["danger"], SETS[name]["ordinary"]
    assert len(danger) >= size[0] and len(ordinary) >= size[1]
    assert all(row["kind"] in KINDS and row["who"] in WHO for row in danger)
    reports, ordinary_trained = training_data()
    trained = [_pairs(row["text"]) for row in reports] + [_pairs(text) for text in ordinary_trained]
    having: dict[str, list[int]] = {}  # character pair -> the training lines that hold it
    for number, seen in enumerate(trained):
        for pair in seen:
            having.setdefault(pair, []).append(number)
    near = []  # not the same line, nor one that shares most of its character pairs with it
    for text in [row["text"] for row in danger] + ordinary:
        pairs = _pairs(text)
        shared = Counter(number for pair in pairs for number in having.get(pair, ()))
        if any(count >= 0.6 * len(pairs | trained[number]) for number, count in shared.items()):
            near.append(text)
    assert near == []


@pytest.mark.parametrize("name", ["fresh8"])
def test_recall_and_false_alarms_on_the_held_out_sets(name, capsys):
    danger, ordinary = SETS[name]["danger"], SETS[name]["ordinary"]
    found = [(row, dangers.assess(row["text"])) for row in danger]
    misses = [row["text"] for row, got in found if got is None]
    alarms = [text for text in ordinary if dangers.assess(text) is not None]
    caught = [(row, got) for row, got in found if got is not None]
    recall = 1 - len(misses) / len(danger)
    false_alarms = len(alarms) / len(ordinary)
    kind_ok = sum(got.kind == row["kind"] for row, got in caught) / len(caught)
    who_ok = sum(got.who == row["who"] for row, got in caught) / len(caught)
    with capsys.disabled():
        print(
            f"\ndanger detection, {name}: recall {recall:.3f} ({len(danger) - len(misses)}/{len(danger)}), "
            f"false alarms {false_alarms:.3%} ({len(alarms)}/{len(ordinary)}), "
            f"kind right {kind_ok:.3f}, who right {who_ok:.3f} "
            f"(goal: recall ≥ {GOAL['recall']}, false alarms ≤ {GOAL['false_alarms']:.0%})"
        )
        for text in misses:
            print("  missed:", text)
        for text in alarms:
            print("  false alarm:", text)
    assert recall >= FLOOR[name]["recall"] and false_alarms <= FLOOR[name]["false_alarms"]
    assert set(misses) <= _reviewed_misses(), "a new miss: read it and list it in docs/handoff.md"


@pytest.mark.parametrize(
    ("text", "kind", "who"),
    [
        ("我老伴倒在地上叫不醒 怎么办", "fall_or_collapse", "elderly"),
        ("他喝醉了又要打我 我躲在厕所里", "violence", "self"),
        ("隔壁家小孩天天被他爸用皮带抽 身上都是伤", "violence", "child"),
        ("我撑不下去了", "suicidal", "self"),
        ("家里就我和妹妹 没有吃的", "no_food_or_money", "child"),
    ],
)
def test_the_reported_messages_in_danger_are_recognised_for_what_they_are(text, kind, who):
    found = dangers.assess(text)
    assert found is not None and (found.kind, found.who) == (kind, who)


@pytest.mark.parametrize(
    "text",
    ["孩子不想活动 老是在家 社区有没有托管", "我妈老人摔倒过 想问适老化改造", "想死你了 哈哈 问下高龄津贴"],
)
def test_the_reported_ordinary_questions_are_not_alarms(text):
    assert dangers.assess(text) is None


def test_a_short_message_is_read_with_the_one_before_it():
    story = "我爸在楼上睡午觉"  # 我爷爷在洗澡 半个钟头了 reads as danger alone since the fifth round (docs/handoff.md)
    assert dangers.assess(story) is None and dangers.assess("喊他不应") is None
    found = dangers.assess("喊他不应", lambda: story)
    assert found is not None and found.kind == "fall_or_collapse"
    assert dangers.assess("好的谢谢", lambda: "我老伴以前摔倒过 想问问补贴") is None


@pytest.mark.parametrize("answer", ["我自己", "同意", "对", "没有", "确认"])
def test_an_answer_after_a_story_is_not_danger_by_the_story_alone(answer):
    """An answer to the bot's question carries the story's probability, not more: read alone the story
    was already a danger (a person took over then) or it was not, and the answer changes neither
    (the old rule read 我自己 after a danger story as a new danger, and 同意 after a hardship story)."""
    for story in ("我老公喝醉了要打人", "我失业了，家里没收入，还有个老母亲要养", "存款我也说不清，大概几千块吧"):
        assert dangers.assess(answer, lambda story=story: story) is None


def _conversation_turns() -> list[tuple[str, str, str | None]]:
    """Every resident message of the conversation suite, with the resident's message before it."""
    filled = {
        "{partner_name}": "王秀英",
        "{partner_id_number}": "310101195001011234",
        "{id_number}": "310101196001011234",
    }
    turns = []
    for path in sorted((ROOT / "tests" / "conversations" / "data").glob("*.yml")):
        for conversation in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            before = None
            for turn in conversation["turns"]:
                for field, value in filled.items():
                    turn = str(turn).replace(field, value)
                turns.append((conversation["id"], turn, before))
                before = turn
    return turns


def test_no_message_of_the_conversation_suite_is_taken_for_danger(capsys):
    """Issue 22: none of the suite's residents is in danger (names, choices, hardship told to apply,
    places, divorce talks), and every message passes this check before the bot sees it. Read with
    the message before it, as the web router reads it; never trained on. The few still taken for
    danger are each read and listed in docs/handoff.md ("Conversation messages still taken for danger")."""
    turns = _conversation_turns()
    read = dict.fromkeys((text, before) for _, text, before in turns)  # each message with the same one before it once
    alarms = {text for text, before in read if dangers.assess(text, lambda before=before: before) is not None}
    with capsys.disabled():
        print(f"\nconversation suite: {len(alarms)} of {len(turns)} resident messages taken for danger")
        for text in sorted(alarms):
            print("  alarm:", text)
    assert alarms <= _listed("Conversation messages still taken for danger"), "read it and list it, or fix it"


def test_the_reply_fits_the_kind_and_a_child_gets_child_protection():
    violence = dangers.assess("他喝醉了又要打我 我躲在厕所里")
    assert "110" in violence.reply and "962525" not in violence.reply
    hungry = dangers.assess("家里就我和妹妹 没有吃的")
    assert "未成年人保护" in hungry.reply and hungry.child_at_risk
    fall = dangers.assess("我老伴倒在地上叫不醒 怎么办")
    assert "120" in fall.reply and "12338" not in fall.reply
    assert fall.reason == "danger:fall_or_collapse/elderly"


@pytest.mark.parametrize(
    "story",
    [
        "我真的不想活了",
        "老公天天打我",
        "他喝醉了就打我，我不敢回家",
        "邻居家孩子一个人在家好几天了 没人管",
        "楼上老人摔倒了起不来 没人管",
        "我现在 无家可归 睡在地铁站",
    ],
)
def test_the_old_phrase_lists_stories_are_still_recognised(story):
    found = dangers.assess(story)
    assert found is not None and ("110" in found.reply or "120" in found.reply)


@pytest.mark.parametrize(
    "ordinary",
    [
        "家里收入低，想申请低保",
        "流浪乞讨人员救助站电话是多少",
        "有事请打我电话13812345678",
        "老人去世了，去死亡证明在哪里开",
    ],
)
def test_the_old_phrase_lists_ordinary_questions_are_still_no_alarm(ordinary):
    assert dangers.assess(ordinary) is None


@pytest.mark.parametrize(
    "answer",
    [
        "我们家三口人",
        "一个月一共三千块",
        "都没有",
        "没车",
        "我下岗好几年了，一直没有收入，身体也不好",
        "我老伴生病住院花了好多钱，家里快过不下去了",
        "老伴住院了，每个月自己付的药费一千",
        "他的身份证号是310107198801011234",
        "帮我老伴申请",
        "给我自己办",
        "不同意",
        "我爸躺在床上动不了了那个长护险要怎么弄啊",
    ],
)
def test_the_answers_the_forms_ask_for_are_no_alarm(answer):
    """Every message is checked, form answers too: a hardship told to apply for 低保 is not danger."""
    assert dangers.assess(answer) is None


@pytest.mark.parametrize("reply", ["不", "对不起", "约不上", "我选一个", "米"])
def test_a_tiny_everyday_reply_is_no_alarm(reply):
    """On a few characters the model read 不 as a fall and 对不起 as suicidal: a tiny message needs a cue."""
    assert dangers.assess(reply) is None


@pytest.mark.parametrize("message", ["救命", "想死", "他打我", "我好饿", "快来人", "他掐我", "在天台", "没地方睡"])
def test_a_tiny_cry_for_help_is_still_danger(message):
    assert dangers.assess(message) is not None


def test_a_message_that_does_not_say_what_is_happening_gets_a_reply_that_does_not_guess():
    found = dangers.assess("救命")
    assert found is not None and "110" in found.reply and "120" in found.reply
    assert "家庭暴力" not in found.reply and "不是您的错" not in found.reply


def test_the_fitted_models_are_read_as_scikit_learn_reads_them():
    """classifier.CalibratedLinear and Multinomial skip scikit-learn's input checks, not its arithmetic."""
    import numpy as np

    from common.danger import classifier

    reports, ordinary = training_data()
    reports, ordinary = reports[::4], ordinary[::4]
    features = classifier.features()
    seen = features.fit_transform([r["text"] for r in reports] + ordinary)  # training messages: encoded once, cached
    danger = classifier.danger_model().fit(seen, [1] * len(reports) + [0] * len(ordinary))
    kind = classifier.regression().fit(seen[: len(reports)], [r["kind"] for r in reports])
    read_danger, read_kind = classifier.CalibratedLinear(danger), classifier.Multinomial(kind)
    for row in range(0, seen.shape[0], 7):
        one = seen[row]
        assert read_danger.probability(one) == pytest.approx(danger.predict_proba(one)[0][1], abs=1e-12)
        assert read_kind.probabilities(one) == pytest.approx(kind.predict_proba(one)[0], abs=1e-12)
        assert read_kind.classes[int(np.argmax(read_kind.probabilities(one)))] == kind.predict(one)[0]
