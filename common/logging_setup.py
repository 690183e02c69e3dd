"""Structured logs: one JSON object per line, personal data and credentials masked before it is written."""

from __future__ import annotations

import logging
import re
import sys
from typing import IO, Any
from urllib.parse import unquote

from pythonjsonlogger.json import JsonFormatter

from common.masking import mask_credentials, mask_text

# Record attributes that are the logging machinery's, never a message's content.
_NOT_CONTENT = frozenset(
    {"args", "exc_info", "levelname", "levelno", "name", "pathname", "filename", "module", "funcName"}
    | {"processName", "threadName", "taskName", "lineno", "created", "msecs", "relativeCreated"}
    | {"thread", "process"}
)


_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")


def mask_log_text(text: str) -> str:
    """What a log line may show of ``text``: ID numbers, phones and credentials masked. URL-encoded
    text (an access log's query string: ``138%201234%205678``) is decoded first, so that its numbers
    are seen."""
    if _ENCODED.search(text):
        text = unquote(text)
    return mask_credentials(mask_text(text))


def _masked(value: Any) -> Any:
    """``value`` with every ID number, phone and credential in it masked (strings inside lists and
    dicts too; a number or exception that would print one becomes its masked text)."""
    if isinstance(value, str):
        return mask_log_text(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_masked(v) for v in value]
    if isinstance(value, (int, float, BaseException)) and not isinstance(value, bool):
        shown = str(value)
        masked = mask_log_text(shown)
        return masked if masked != shown or isinstance(value, BaseException) else value
    return value


class PersonalDataFilter(logging.Filter):
    """Masks resident ID numbers, phones and credentials in the message, the extras, the traceback
    (``exc_info``: SQLAlchemy and ``requests`` put parameters and URLs in exception text) and
    ``stack_info``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = record.getMessage()
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for key, value in list(record.__dict__.items()):
            if key not in _NOT_CONTENT and value is not None:
                setattr(record, key, _masked(value))
        return True


class MaskedJsonFormatter(JsonFormatter):
    """JSON lines whose traceback and stack are masked even when formatted here from ``exc_info``."""

    def formatException(self, ei) -> str | list[str]:  # type: ignore[override]  # noqa: N802
        return _masked(super().formatException(ei))

    def formatStack(self, stack_info) -> str | list[str]:  # type: ignore[override]  # noqa: N802
        return _masked(super().formatStack(stack_info))


def make_handler(service: str, stream: IO[str] | None = None) -> logging.Handler:
    """The handler every process logs through: JSON lines on ``stream`` (stderr), masked."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        MaskedJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    )
    handler.addFilter(PersonalDataFilter())
    return handler


def configure(service: str, level: str = "INFO", stream=None) -> None:
    """Route the root logger to JSON lines on stderr (or ``stream``), masked. Handlers set before are
    dropped (none may write unmasked lines), except one marked ``kept_by_configure`` (the test
    suite's check that no log line carries personal data: tests/log_check.py)."""
    root = logging.getLogger()
    root.handlers[:] = [make_handler(service, stream)] + [
        h for h in root.handlers if getattr(h, "kept_by_configure", False)
    ]
    root.setLevel(level)


GUNICORN_LOGGERS = ("gunicorn.error", "gunicorn.access")


def mask_gunicorn_logs() -> None:
    """Gunicorn's own loggers (its errors, and the access log with each request's query string, where a
    back-office lookup can carry an ID number) write through their own handlers, not the root's: the
    same filter goes on the loggers themselves. Called by gunicorn.conf.py's hooks."""
    for name in GUNICORN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, PersonalDataFilter) for f in logger.filters):
            logger.addFilter(PersonalDataFilter())
