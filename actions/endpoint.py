"""HTTP only: Rasa's action-server protocol on Flask. Action code never sees a request."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request

from actions import executor
from actions.tracker import Tracker

log = logging.getLogger(__name__)
bp = Blueprint("actions", __name__)


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
