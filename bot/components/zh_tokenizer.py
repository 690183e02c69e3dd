"""Jieba tokens of the message read in simplified characters.

Residents also write traditional characters (你會什麼, 辦結婚登記要帶什麼證件). The training data
is almost all simplified, so the classifier saw few of their words and character n-grams, and
such a message fell to the wrong intent. This tokenizer converts the text with OpenCC's
traditional-to-simplified tables before Jieba cuts it; every featurizer and the response selector
read the tokens' text, so they see 你会什么. The conversion keeps one character for one
character (otherwise the text is cut as written), so the tokens' offsets are offsets in the text
the resident sent and the entity extractors, which map characters themselves, stay aligned.
"""

from __future__ import annotations

import opencc

_T2S = opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """``text`` in simplified characters, or ``text`` itself when the conversion would change its length."""
    converted = _T2S.convert(text)
    return converted if len(converted) == len(text) else text


try:
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
    from rasa.nlu.tokenizers.tokenizer import Token
    from rasa.shared.nlu.training_data.message import Message
except ImportError:  # pragma: no cover
    JiebaTokenizer = None  # type: ignore

if JiebaTokenizer is not None:

    @DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True)
    class SimplifiedJiebaTokenizer(JiebaTokenizer):
        """Rasa's JiebaTokenizer (dictionaries, token pattern) over the simplified text."""

        @staticmethod
        def required_packages() -> list[str]:
            return ["jieba", "opencc"]

        def tokenize(self, message: Message, attribute: str) -> list[Token]:
            import jieba

            text = simplified(message.get(attribute))
            tokens = [Token(word, start) for word, start, _end in jieba.tokenize(text)]
            return self._apply_token_pattern(tokens)
