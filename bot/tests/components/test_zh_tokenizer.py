"""The tokenizer reads traditional characters as simplified, keeping the offsets of the text as sent."""

from components.zh_tokenizer import SimplifiedJiebaTokenizer, simplified
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message


def tokenizer(tmp_path):
    config = {**SimplifiedJiebaTokenizer.get_default_config(), "dictionary_path": None}
    return SimplifiedJiebaTokenizer(config, LocalModelStorage(tmp_path), Resource("tokenizer"))


def test_traditional_characters_are_tokenized_as_simplified(tmp_path):
    message = Message({TEXT: "辦結婚登記要帶什麼證件"})
    tokens = tokenizer(tmp_path).tokenize(message, TEXT)
    assert "".join(t.text for t in tokens) == "办结婚登记要带什么证件"
    assert all(message.get(TEXT)[t.start : t.end] for t in tokens)
    assert tokens[-1].end == len(message.get(TEXT))


def test_simplified_text_is_unchanged(tmp_path):
    message = Message({TEXT: "你会什么"})
    assert [t.text for t in tokenizer(tmp_path).tokenize(message, TEXT)] == [
        t.text for t in tokenizer(tmp_path).tokenize(Message({TEXT: "你會什麼"}), TEXT)
    ]


def test_characters_are_mapped_one_for_one():
    assert simplified("收養登記") == "收养登记"
    assert simplified("") == ""
