"""Structured logs: one JSON object per line, personal data masked before it is written."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from common.masking import mask_text


class PersonalDataFilter(logging.Filter):
    """Masks resident ID numbers and phones in the message and in string extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        for key, value in list(record.__dict__.items()):
            if isinstance(value, str) and key not in (
                "msg",
                "levelname",
                "name",
                "pathname",
                "filename",
                "module",
                "funcName",
                "processName",
                "threadName",
            ):
                setattr(record, key, mask_text(value))
        return True


def configure(service: str, level: str = "INFO", stream=None) -> None:
    """Route the root logger to JSON lines on stderr (or ``stream``), masked."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    )
    handler.addFilter(PersonalDataFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
