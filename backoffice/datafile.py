"""A YAML file an administrator edits (standards, benefit rules), re-read when it changes: no restart."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import yaml


class DataFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.mtime: float | None = None
        self.data: dict[str, Any] = {}

    def get(self) -> dict[str, Any]:
        mtime = self.path.stat().st_mtime
        with self.lock:
            if mtime != self.mtime:
                self.data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
                self.mtime = mtime
            return self.data
