"""The conversation state Rasa sends with every action call, as a typed object."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entity:
    entity: str
    value: Any
    role: str | None = None


@dataclass(frozen=True)
class Tracker:
    sender_id: str
    slots: dict[str, Any]
    latest_text: str
    latest_intent: str | None
    latest_entities: tuple[Entity, ...]
    metadata: dict[str, Any]
    active_loop: str | None
    events: tuple[dict, ...] = field(default=())
    response_selector: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tracker:
        latest = data.get("latest_message") or {}
        return cls(
            sender_id=str(data.get("sender_id", "")),
            slots=dict(data.get("slots") or {}),
            latest_text=latest.get("text") or "",
            latest_intent=(latest.get("intent") or {}).get("name"),
            latest_entities=tuple(
                Entity(e.get("entity", ""), e.get("value"), e.get("role")) for e in latest.get("entities") or []
            ),
            metadata=dict(latest.get("metadata") or {}),
            active_loop=(data.get("active_loop") or {}).get("name"),
            events=tuple(data.get("events") or ()),
            response_selector=dict(latest.get("response_selector") or {}),
        )

    def get_slot(self, name: str) -> Any:
        return self.slots.get(name)

    @property
    def retrieval_intent(self) -> str | None:
        """The full retrieval intent the response selector picked, e.g. "faq/funeral"."""
        return self._selected().get("intent_response_key")

    @property
    def retrieval_confidence(self) -> float:
        return float(self._selected().get("confidence") or 0.0)

    def _selected(self) -> dict[str, Any]:
        if self.latest_intent not in self.response_selector.get("all_retrieval_intents", []):
            return {}
        return (self.response_selector.get(self.latest_intent) or self.response_selector.get("default") or {}).get(
            "response"
        ) or {}

    def entity_values(self, name: str) -> list[Any]:
        return [e.value for e in self.latest_entities if e.entity == name]
