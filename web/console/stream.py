"""Live updates for the console: server-sent events fed by Redis pub/sub.

``GET /console/events`` streams queue changes (no resident data: the page then
reloads its rows, which are filtered for the agent); ``?conversation=<id>`` also
streams that conversation's new transcript lines, once the agent may view it (the
subscription is audited). A stream holds one gunicorn thread, so each process
serves at most ``STREAMS_PER_PROCESS`` of them (more get 503 and the browser's
EventSource retries), each ends after ``MAX_AGE`` seconds (the browser reconnects at
once), and a heartbeat comment every ``HEARTBEAT`` seconds finds closed connections.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator

from flask import Response, request
from flask_login import current_user

from common.db import session as db_session
from common.masking import mask_text
from web.admin.audit import audit
from web.console.blueprint import bp
from web.console.services import services
from web.conversations.models import Conversation
from web.handoff import queue
from web.handoff.events import CONSOLE_CHANNEL

HEARTBEAT = 10.0
MAX_AGE = 300.0


@bp.get("/events")
def stream():
    conversation_id = request.args.get("conversation", type=int)
    sess = db_session()
    if conversation_id is not None:
        if sess.get(Conversation, conversation_id) is None or not queue.can_view(sess, current_user, conversation_id):
            audit(sess, "view_denied", None, requested=conversation_id, via="stream")
            sess.commit()
            return {"error": "forbidden", "message": "您不能查看这个会话"}, 403
        audit(sess, "watch_conversation", conversation_id)
    sess.commit()
    slots = services().stream_slots
    if not slots.acquire(blocking=False):
        return Response("retry: 3000\n\n", status=503, mimetype="text/event-stream", headers={"Retry-After": "3"})
    pubsub = services().redis.pubsub(ignore_subscribe_messages=True)
    try:
        pubsub.subscribe(CONSOLE_CHANNEL)
    except Exception:
        pubsub.close()
        slots.release()
        raise
    sess.close()  # the stream may live for minutes: give the connection back to the pool now
    response = Response(
        _events(pubsub, conversation_id),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    response.call_on_close(_once(pubsub.close, slots.release))  # the server closes the response, started or not
    return response


def _once(*steps: Callable[[], object]) -> Callable[[], None]:
    done = threading.Event()

    def run() -> None:
        if not done.is_set():
            done.set()
            for step in steps:
                step()

    return run


def _events(pubsub, conversation_id: int | None) -> Iterator[str]:
    yield "retry: 1000\n\n"
    started = last_beat = time.monotonic()
    while time.monotonic() - started < MAX_AGE:
        message = pubsub.get_message(timeout=1.0)
        if message is not None:
            event = json.loads(message["data"])
            if event["type"] == "queue":
                yield _sse("queue", {"conversation_id": event["conversation_id"], "status": event.get("status")})
            elif event["type"] == "undelivered" and conversation_id in (None, event["conversation_id"]):
                # a reply WeChat refused (web/handoff/undelivered.py): the page reads the rest
                yield _sse("undelivered", {"conversation_id": event["conversation_id"]})
            elif event["type"] == "message" and event["conversation_id"] == conversation_id:
                line = event["message"]
                yield _sse("message", {**line, "text": mask_text(line["text"])})
        if time.monotonic() - last_beat >= HEARTBEAT:
            last_beat = time.monotonic()
            yield ": ping\n\n"


def _sse(kind: str, data: dict) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
