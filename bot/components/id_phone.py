"""Resident ID numbers (18 characters, GB 11643 checksum) and mainland mobile numbers.

``extract(text)`` returns ``id_number`` and ``phone`` entity dicts. An 18-character
number whose check character is wrong is NOT extracted (the dialogue then asks
again instead of storing a typo). Voice text with spoken digits (幺三八...) and
numbers split by spaces or dashes (138 1234 5678) are understood.
"""

from __future__ import annotations

import re
from typing import Any

from components.zh_text import normalise, spoken_digits

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"

ID_RE = re.compile(r"(?<![0-9A-Za-z])([1-9][0-9]{16}[0-9Xx])(?![0-9A-Za-z])")
PHONE_RE = re.compile(r"(?<![0-9])(?:\+?86[\s-]?)?(1[3-9][0-9](?:[\s-]?[0-9]{4}){2})(?![0-9])")


def id_checksum_ok(number: str) -> bool:
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(number[:17], WEIGHTS))
    return CHECK[total % 11] == number[17].upper()


def extract(text: str) -> list[dict[str, Any]]:
    norm = spoken_digits(normalise(text), min_run=11)
    found: list[dict[str, Any]] = []
    for m in ID_RE.finditer(norm):
        number = m.group(1).upper()
        if id_checksum_ok(number):
            found.append(
                {
                    "entity": "id_number",
                    "start": m.start(1),
                    "end": m.end(1),
                    "value": number,
                    "text": text[m.start(1) : m.end(1)],
                }
            )
    for m in PHONE_RE.finditer(norm):
        start, end = m.span(1)
        if any(e["start"] < end and start < e["end"] for e in found):
            continue
        digits = re.sub(r"[\s-]", "", m.group(1))
        if len(digits) == 11:
            found.append({"entity": "phone", "start": start, "end": end, "value": digits, "text": text[start:end]})
    found.sort(key=lambda e: e["start"])
    return found


try:
    from rasa.engine.graph import ExecutionContext, GraphComponent
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.resource import Resource
    from rasa.engine.storage.storage import ModelStorage
    from rasa.nlu.extractors.extractor import EntityExtractorMixin
    from rasa.shared.nlu.constants import ENTITIES, TEXT
    from rasa.shared.nlu.training_data.message import Message
except ImportError:  # pragma: no cover
    GraphComponent = None  # type: ignore

if GraphComponent is not None:

    @DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
    class IdPhoneExtractor(GraphComponent, EntityExtractorMixin):
        """Adds checksum-validated ``id_number`` and ``phone`` entities."""

        @staticmethod
        def get_default_config() -> dict[str, Any]:
            return {}

        @classmethod
        def create(
            cls,
            config: dict[str, Any],
            model_storage: ModelStorage,
            resource: Resource,
            execution_context: ExecutionContext,
        ) -> IdPhoneExtractor:
            return cls()

        def process(self, messages: list[Message]) -> list[Message]:
            for message in messages:
                text = message.get(TEXT)
                if not text:
                    continue
                new = [{**e, "confidence": 1.0} for e in extract(text)]
                if new:
                    existing = message.get(ENTITIES, [])
                    message.set(ENTITIES, existing + self.add_extractor_name(new), add_to_output=True)
            return messages
