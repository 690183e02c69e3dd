"""Lookup-table entities with normalised values (districts, communities, offices,
marriage / assistance / service types).

At training time the component takes the lookup tables named in its ``entities``
config from the NLU data (``nlu_data/lookups/*.yml``) and the synonyms (alias ->
canonical value), and stores one surface-form table in the model. At run time it
scans the message (traditional characters and full-width forms normalised first)
and keeps the longest match at each position, so 补办结婚证 is ``补领`` and not
``结婚``, and 曹杨一村 is the residents' committee, not the 曹杨 street. Surface forms
listed under ``ignore`` (结婚证, 离婚证 ...) are consumed without an entity.

Why not DIET's CRF: the region has ~180 named places and most never occur in the
training sentences; a table lookup finds every one of them, an unseen name is a
miss for a learned tagger.
"""

from __future__ import annotations

import json
import re
from typing import Any

from components.zh_text import normalise

Table = dict[str, tuple[str, str | None]]  # surface -> (entity, canonical or None to ignore)


def build_table(lookups: dict[str, list[str]], synonyms: dict[str, str], ignore: list[str]) -> Table:
    table: Table = {}
    for entity, elements in lookups.items():
        for element in elements:
            surface = normalise(element.strip()).lower()
            if len(surface) < 2 or surface in table:
                continue
            canonical = synonyms.get(element.strip().lower(), synonyms.get(surface, element.strip()))
            table[surface] = (entity, canonical)
    for word in ignore:
        table.setdefault(normalise(word).lower(), ("", None))
    return table


def compile_table(table: Table) -> re.Pattern[str] | None:
    if not table:
        return None
    alternatives = sorted(table, key=lambda s: (-len(s), s))
    return re.compile("|".join(re.escape(a) for a in alternatives))


def extract(text: str, table: Table, pattern: re.Pattern[str] | None) -> list[dict[str, Any]]:
    if pattern is None:
        return []
    norm = normalise(text).lower()
    found = []
    for m in pattern.finditer(norm):  # leftmost, and longest thanks to the ordering
        entity, value = table[m.group(0)]
        if value is None:
            continue
        found.append(
            {"entity": entity, "start": m.start(), "end": m.end(), "value": value, "text": text[m.start() : m.end()]}
        )
    return found


try:
    from rasa.engine.graph import ExecutionContext, GraphComponent
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.resource import Resource
    from rasa.engine.storage.storage import ModelStorage
    from rasa.nlu.extractors.extractor import EntityExtractorMixin
    from rasa.shared.nlu.constants import ENTITIES, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
except ImportError:  # pragma: no cover
    GraphComponent = None  # type: ignore

if GraphComponent is not None:

    @DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
    class GazetteerEntityExtractor(GraphComponent, EntityExtractorMixin):
        """Longest-match lookup-table extractor with synonym normalisation."""

        FILE = "gazetteer.json"

        @staticmethod
        def get_default_config() -> dict[str, Any]:
            return {
                "entities": ["district", "community", "office", "marriage_type", "assistance_type", "service_type"],
                "ignore": [],
            }

        def __init__(
            self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, table: Table | None = None
        ) -> None:
            self._config = config
            self._model_storage = model_storage
            self._resource = resource
            self._table: Table = table or {}
            self._pattern = compile_table(self._table)

        @classmethod
        def create(
            cls,
            config: dict[str, Any],
            model_storage: ModelStorage,
            resource: Resource,
            execution_context: ExecutionContext,
        ) -> GazetteerEntityExtractor:
            return cls(config, model_storage, resource)

        def train(self, training_data: TrainingData) -> Resource:
            wanted = set(self._config.get("entities") or [])
            lookups: dict[str, list[str]] = {}
            for lookup in training_data.lookup_tables:
                if lookup.get("name") in wanted and isinstance(lookup.get("elements"), list):
                    lookups.setdefault(lookup["name"], []).extend(lookup["elements"])
            synonyms = {k.lower(): v for k, v in (training_data.entity_synonyms or {}).items()}
            self._table = build_table(lookups, synonyms, list(self._config.get("ignore") or []))
            self._pattern = compile_table(self._table)
            with self._model_storage.write_to(self._resource) as directory:
                (directory / self.FILE).write_text(
                    json.dumps({k: list(v) for k, v in self._table.items()}, ensure_ascii=False), encoding="utf-8"
                )
            return self._resource

        @classmethod
        def load(
            cls,
            config: dict[str, Any],
            model_storage: ModelStorage,
            resource: Resource,
            execution_context: ExecutionContext,
            **kwargs: Any,
        ) -> GazetteerEntityExtractor:
            table: Table = {}
            try:
                with model_storage.read_from(resource) as directory:
                    raw = json.loads((directory / cls.FILE).read_text(encoding="utf-8"))
                    table = {k: (v[0], v[1]) for k, v in raw.items()}
            except (ValueError, FileNotFoundError):
                pass
            return cls(config, model_storage, resource, table)

        def process(self, messages: list[Message]) -> list[Message]:
            for message in messages:
                text = message.get(TEXT)
                if not text:
                    continue
                existing = message.get(ENTITIES, [])
                spans = [(e.get("start", -1), e.get("end", -1)) for e in existing]
                new = [
                    {**e, "confidence": 1.0}
                    for e in extract(text, self._table, self._pattern)
                    if not any(s < e["end"] and e["start"] < t for s, t in spans)
                ]
                if new:
                    message.set(ENTITIES, existing + self.add_extractor_name(new), add_to_output=True)
            return messages
