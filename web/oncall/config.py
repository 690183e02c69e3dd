"""The on-call route's settings (oncall.yml): the promise to the resident, how a person is
tried, the danger kinds' names and every text."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml


@dataclass(frozen=True)
class OncallConfig:
    promise_minutes: int
    retry_delays: tuple[int, ...]  # seconds before each call to one person; its length is the tries per person
    voice: bool
    kinds: dict[str, str]
    default_kind: str
    texts: dict[str, str]

    def kind_name(self, kind: str) -> str:
        return self.kinds.get(kind, self.default_kind)


@lru_cache(maxsize=1)
def oncall() -> OncallConfig:
    data = yaml.safe_load(Path(__file__).with_name("oncall.yml").read_text(encoding="utf-8"))
    delays = tuple(int(d) for d in data["retry_delays"])
    if not delays:
        raise ValueError("oncall.yml: retry_delays needs at least one entry (the first call)")
    return OncallConfig(
        promise_minutes=int(data["promise_minutes"]),
        retry_delays=delays,
        voice=bool(data["voice"]),
        kinds={str(k): str(v) for k, v in data["kinds"].items()},
        default_kind=str(data["default_kind"]),
        texts={str(k): str(v) for k, v in data["texts"].items()},
    )
