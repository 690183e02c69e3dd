"""The back-office's one error contract: :class:`ApiError`, rendered by one Flask error handler.

Every refusal a client sees is ``{"error": <machine code>, "message": <Chinese text a resident
can read>}`` with a 4xx status, plus any extra fields the refusal carries (``reference`` on
eldercare's ``already_applied``). Routes and the rules behind them raise ``ApiError``; nothing
else builds an error body.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify


class ApiError(Exception):
    """A request the back-office will not carry out: ``status``, ``code``, ``message`` (+ extra fields)."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def response(self) -> tuple[Response, int]:
        return jsonify(error=self.code, message=self.message, **self.extra), self.status


NOT_FOUND = ApiError(404, "not_found", "没有找到这项内容")


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, lambda exc: exc.response())
    app.register_error_handler(404, lambda _exc: NOT_FOUND.response())
