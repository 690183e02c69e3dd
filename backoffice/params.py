"""What a request carries (a JSON body, the booker's openid, its figures, dates and required texts, a list's cursor
and page size, the member of staff making a change): one way to read them for every back-office route, and one answer
when they are wrong."""

from __future__ import annotations

from datetime import date

from flask import request

from backoffice.errors import ApiError

EDITOR = {  # the header of a staff change, for the OpenAPI document (backoffice/contract.py)
    "name": "X-Editor",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 40},
    "description": "the member of staff making the change (default admin)",
}


def whole_number(value: object, name: str, minimum: int = 0, what: str = "数字") -> int:
    """A JSON body's ``value`` as a whole number of at least ``minimum`` (a fraction is cut to its
    whole part); anything else (text, true/false, too small) is 400 ``bad_request``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ApiError(400, "bad_request", f"{name} 需要是不小于 {minimum} 的{what}")
    return int(value)


def query_number(name: str, default: int) -> int:
    """The query string's ``name`` (a cursor, a page size): ``default`` when absent, 400 when not digits."""
    raw = request.args.get(name, "")
    if not raw:
        return default
    return whole_number(int(raw) if raw.isdigit() else None, name, what="整数")


def query_within(name: str, default: int, low: int, high: int) -> int:
    """The query string's ``name`` kept within ``low``..``high``; ``default`` when absent or not a number
    (a search page: a resident's list is shown whatever the page asked)."""
    try:
        return max(low, min(high, int(request.args.get(name, default))))
    except ValueError:
        return default


def iso_date(value: object, field: str = "date") -> date:
    """A date written YYYY-MM-DD (a body's or query string's ``field``); anything else is 422 ``invalid_date``."""
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ApiError(422, "invalid_date", f"{field} 应该是 YYYY-MM-DD 格式的日期") from None


def required_text(body: dict, field: str) -> str:
    """A JSON body's ``field`` as text without its surrounding spaces; absent or blank is 422 ``invalid_request``."""
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, "invalid_request", f"缺少必填项：{field}")
    return value.strip()


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "请求内容不是有效的 JSON")
    return body


def booker_openid(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 80:
        raise ApiError(422, "invalid_openid", "缺少预约人的微信标识（openid）")
    return value.strip()


def editor() -> str:
    """Who makes a staff change (``X-Editor``, as the platform's admin pages send it), for the record."""
    return (request.headers.get("X-Editor") or "admin").strip()[:40] or "admin"
