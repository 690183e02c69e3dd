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
        )

    def get_slot(self, name: str) -> Any:
        return self.slots.get(name)

    def entity_values(self, name: str) -> list[Any]:
        return [e.value for e in self.latest_entities if e.entity == name]
