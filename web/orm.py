"""The declarative base every platform model derives from, and the column types of resident text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, MetaData, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from common.db import NAMING
from common.plain_text import plain, plain_data


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict: JSON, list: JSON}


class PlainText(TypeDecorator[str]):
    """``Text`` that stores any string: control characters dropped, lone surrogates replaced
    (common/plain_text.py), so a transcript line can always be written (PostgreSQL refuses NUL)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return plain(value) if isinstance(value, str) else value


class PlainJSON(TypeDecorator[Any]):
    """``JSON`` whose strings are stored as :class:`PlainText` stores them."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return plain_data(value)
