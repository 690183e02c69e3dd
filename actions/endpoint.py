"""HTTP only: Rasa's action-server protocol on Flask. Action code never sees a request.

Only Rasa may call it: a forged tracker would run any action as any resident, with the
back-office token behind it. Rasa sends ``Authorization: Bearer <ACTIONS_TOKEN>`` (the
``headers`` of ``action_endpoint`` in bot/endpoints.yml: a header, because a query string
ends up in access logs); everything but ``/health`` answers 401 without it.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, current_app, jsonify, request

from actions import executor
from actions.tracker import Tracker

log = logging.getLogger(__name__)
bp = Blueprint("actions", __name__)
OPEN_ENDPOINTS = frozenset({"actions.health"})


@bp.before_request
def _require_token():
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(supplied.encode(), current_app.config["ACTIONS_TOKEN"].encode()):
        log.warning("action call refused: no or wrong token")
        return jsonify(action_name=None, error="缺少或错误的动作服务器令牌"), 401
    return None


@bp.get("/health")
def health():
    return jsonify(status="ok")


@bp.get("/actions")
def list_actions():
    return jsonify([{"name": name} for name in executor.names()])


@bp.post("/webhook")
def webhook():
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not payload.get("next_action"):
        return jsonify(action_name=None, error="请求格式不对：需要 next_action 和 tracker"), 400
    name = payload["next_action"]
    try:
        result = executor.run(name, Tracker.from_dict(payload.get("tracker") or {}), payload.get("domain") or {})
    except executor.UnknownAction as exc:
        return jsonify(action_name=name, error=str(exc)), 404
    except executor.ActionRejected as exc:
        return jsonify(action_name=exc.action_name, error=str(exc)), 400
    log.info("action ran", extra={"action": name, "events": len(result["events"])})
    return jsonify(result)
