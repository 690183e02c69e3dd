"""The handbook API: search for the bot, and create / update / delete for the administrator's pages."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime

from flask import Blueprint, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backoffice import contract, params
from backoffice.eldercare.places import district_code
from backoffice.errors import ApiError
from backoffice.handbook import schemas
from backoffice.handbook import search as bm25
from backoffice.handbook.models import HandbookEntry
from backoffice.residents.registry import resident_for_openid
from common.db import session

bp = Blueprint("handbook", __name__, url_prefix="/handbook")

TOPIC_RE = re.compile(r"^[a-z][a-z_]{1,29}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,59}$")
TEXT_FIELDS = {
    "title": 120,
    "body": 4000,
    "conditions": 2000,
    "how_to_apply": 2000,
    "contact": 300,
    "source": 300,
    "next_step": 300,
}
REQUIRED = ("topic", "title", "body", "source")
ENTRY_ID = {"entry_id": "entry id"}


def entry_json(e: HandbookEntry) -> dict:
    return {
        "id": e.id,
        "slug": e.slug,
        "topic": e.topic,
        "title": e.title,
        "body": e.body,
        "conditions": e.conditions,
        "how_to_apply": e.how_to_apply,
        "documents": e.documents,
        "contact": e.contact,
        "source": e.source,
        "effective_date": e.effective_date.isoformat() if e.effective_date else None,
        "district_code": e.district_code,
        "keywords": e.keywords,
        "next_step": e.next_step,
        "updated_by": e.updated_by,
        "updated_at": e.updated_at.isoformat(timespec="seconds"),
        "version": e.version,
    }


def _apply(e: HandbookEntry, body: dict) -> str | None:
    """Copy the fields present in ``body`` onto the entry; a Chinese error message if one is invalid."""
    sess = session()
    if "topic" in body:
        if not isinstance(body["topic"], str) or not TOPIC_RE.match(body["topic"]):
            return "topic 只能是小写英文字母和下划线，例如 funeral。"
        e.topic = body["topic"]
    if "slug" in body:
        if not isinstance(body["slug"], str) or not SLUG_RE.match(body["slug"]):
            return "slug 只能是小写英文字母、数字、短横线和下划线。"
        e.slug = body["slug"]
    for field, limit in TEXT_FIELDS.items():
        if field in body:
            value = body[field]
            if not isinstance(value, str) or len(value) > limit:
                return f"{field} 需要是不超过 {limit} 个字的文字。"
            setattr(e, field, value.strip())
    for field in ("documents", "keywords"):
        if field in body:
            if not isinstance(body[field], list) or not all(isinstance(x, str) and x.strip() for x in body[field]):
                return f"{field} 需要是文字列表。"
            setattr(e, field, [x.strip() for x in body[field]])
    if "effective_date" in body:
        try:
            e.effective_date = date.fromisoformat(body["effective_date"]) if body["effective_date"] else None
        except (TypeError, ValueError):
            return "effective_date 的格式应为 YYYY-MM-DD。"
    if "district" in body:
        if body["district"] in (None, ""):
            e.district_code = None
        elif (code := district_code(sess, str(body["district"]))) is None:
            return "没有找到这个区。"
        else:
            e.district_code = code
    if not all(getattr(e, f, None) for f in REQUIRED):
        return "标题（title）、正文（body）、出处（source）和主题（topic）都不能为空。"
    return None


@bp.get("/entries")
@contract.operation(
    "Handbook entries, optionally of one topic and of one district (plus region-wide ones)",
    query=schemas.EntriesQuery,
    responses={200: ("entries", schemas.HandbookEntryList)},
)
def list_entries():
    query = select(HandbookEntry).order_by(HandbookEntry.topic, HandbookEntry.id)
    if topic := request.args.get("topic"):
        query = query.where(HandbookEntry.topic == topic)
    if request.args.get("district"):
        code = district_code(session(), request.args["district"])
        query = query.where((HandbookEntry.district_code == code) | HandbookEntry.district_code.is_(None))
    return jsonify(entries=[entry_json(e) for e in session().scalars(query)])


@bp.get("/entries/<int:entry_id>")
@contract.operation(
    "One entry", path=ENTRY_ID, responses={200: ("the entry", schemas.HandbookEntry)}, errors={404: "not_found"}
)
def get_entry(entry_id: int):
    e = session().get(HandbookEntry, entry_id)
    if e is None:
        raise ApiError(404, "not_found", "没有这条内容。")
    return jsonify(entry_json(e))


@bp.post("/entries")
@contract.operation(
    "Create an entry (administrator). Answers use it from the next question on: no retraining, no restart.",
    headers=[params.EDITOR],
    body=schemas.HandbookEntryChange,
    responses={201: ("created", schemas.HandbookEntry)},
    errors={400: "bad_request (not a JSON object) or invalid", 409: "slug_taken"},
)
def create_entry():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "请求内容需要是 JSON 对象。")
    sess = session()
    e = HandbookEntry(
        slug=f"{body.get('topic', 'entry')}-{uuid.uuid4().hex[:8]}",
        conditions="",
        how_to_apply="",
        documents=[],
        contact="",
        keywords=[],
        next_step="",
        updated_by=params.editor(),
        updated_at=datetime.now(),
        version=1,
    )
    if message := _apply(e, body):
        raise ApiError(400, "invalid", message)
    sess.add(e)
    try:
        sess.commit()
    except IntegrityError:
        sess.rollback()
        raise ApiError(409, "slug_taken", "这个 slug 已经有条目在用了。") from None
    return jsonify(entry_json(e)), 201


@bp.patch("/entries/<int:entry_id>")
@contract.operation(
    "Update the given fields of an entry (administrator); its version goes up and the search index follows at once",
    path=ENTRY_ID,
    headers=[params.EDITOR],
    body=schemas.HandbookEntryChange,
    responses={200: ("the updated entry", schemas.HandbookEntry)},
    errors={400: "bad_request (not a JSON object) or invalid", 404: "not_found", 409: "slug_taken"},
)
def update_entry(entry_id: int):
    """Change the fields given; the next search (in every worker) uses the new text. No retraining, no restart."""
    sess = session()
    e = sess.get(HandbookEntry, entry_id)
    if e is None:
        raise ApiError(404, "not_found", "没有这条内容。")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "请求内容需要是 JSON 对象。")
    if message := _apply(e, body):
        sess.rollback()
        raise ApiError(400, "invalid", message)
    e.version, e.updated_at, e.updated_by = e.version + 1, datetime.now(), params.editor()
    try:
        sess.commit()
    except IntegrityError:
        sess.rollback()
        raise ApiError(409, "slug_taken", "这个 slug 已经有条目在用了。") from None
    return jsonify(entry_json(e))


@bp.delete("/entries/<int:entry_id>")
@contract.operation(
    "Delete an entry (administrator)", path=ENTRY_ID, responses={204: ("deleted", None)}, errors={404: "not_found"}
)
def delete_entry(entry_id: int):
    sess = session()
    e = sess.get(HandbookEntry, entry_id)
    if e is None:
        raise ApiError(404, "not_found", "没有这条内容。")
    sess.delete(e)
    sess.commit()
    return "", 204


@bp.get("/search")
@contract.operation(
    "The entries that best answer a question: BM25 over jieba tokens, within the topic when it has a match, entries "
    "of other districts left out when the district is known",
    query=schemas.SearchQuery,
    responses={
        200: (
            "results: entries with score and coverage (share of the question's meaning found), best first; "
            "empty when nothing answers it",
            schemas.SearchAnswer,
        )
    },
    errors={400: "bad_request"},
)
def search_entries():
    """Best entries for a resident's question: ``q``, optional ``topic`` (faq key), ``district`` (code or name)
    or ``openid`` (the bound resident's district), ``limit``."""
    sess, args = session(), request.args
    query = args.get("q", "").strip()
    if not query:
        raise ApiError(400, "bad_request", "需要问题文字 q。")
    code = district_code(sess, args["district"]) if args.get("district") else None
    if code is None and args.get("openid"):
        resident = resident_for_openid(sess, args["openid"])
        code = resident.hukou_district_code if resident else None
    try:
        limit = max(1, min(10, int(args.get("limit", 3))))
    except ValueError:
        limit = 3
    matches = bm25.search(sess, query, topic=args.get("topic") or None, district=code, limit=limit)
    entries = {
        e.id: e for e in sess.scalars(select(HandbookEntry).where(HandbookEntry.id.in_([m.entry_id for m in matches])))
    }
    return jsonify(
        query=query,
        topic=args.get("topic"),
        district_code=code,
        results=[
            {**entry_json(entries[m.entry_id]), "score": m.score, "coverage": m.coverage}
            for m in matches
            if m.entry_id in entries
        ],
    )
