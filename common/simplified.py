"""Residents' words in simplified characters, so that word lists and place names written once match them.

Some residents type traditional characters (我家能不能申請低保, 請問長壽路附近有沒有長者食堂). The NLU
normalises them for its own features (bot/components/zh_text.py), but the actions and the back-office read
the message itself; OpenCC's ``t2s`` conversion (phrase-aware, the maintained dictionaries) gives them the
simplified text to read. What is stored or shown stays as the resident typed it.
"""

from __future__ import annotations

from functools import cache

import opencc


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """``text`` in simplified characters (traditional ones converted; everything else unchanged)."""
    return _converter().convert(text) if text else text
