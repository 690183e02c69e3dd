"""Collects the messages an action wants sent, in Rasa's response format."""

from __future__ import annotations

from typing import Any


class Dispatcher:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def utter(
        self,
        text: str | None = None,
        *,
        response: str | None = None,
        buttons: list[dict] | None = None,
        custom: dict | None = None,
        **kwargs: Any,
    ) -> None:
        """Send ``text`` or the domain response ``response`` (formatted with ``kwargs``)."""
        message: dict[str, Any] = {
            "text": text,
            "buttons": buttons or [],
            "elements": [],
            "custom": custom or {},
            "template": response,
            "response": response,
            "image": None,
            "attachment": None,
        }
        message.update(kwargs)
        self.messages.append(message)
