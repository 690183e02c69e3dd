"""A local stand-in for the SMS/voice notification gateway of the on-call route, for tests and demos.

It answers the gateway's API as docs/handoff.md describes it ("The gateway"):

* ``POST /v1/alerts`` with ``Authorization: Bearer <token>`` and ``{"to", "text", "voice",
  "reference"}`` → ``{"id", "status": "accepted"}``; a reference it has taken before answers the
  first alert's id with ``"status": "duplicate"`` and sends nothing again;
* refusals ``{"code", "message"}``: 4001 (HTTP 401) wrong token, 1001 (400) not a mobile number,
  1003 (400) text empty or over 500 characters or no reference, 1002 (429) more than
  ``rate_limit`` alerts to one number within a minute, 5000 (500) internal error, and HTTP 503
  without a body (maintenance).

What it received is kept in memory and shown at ``GET /`` (newest first; every call, refused
ones too, at ``GET /standin/alerts`` as JSON). It can be told to fail: the next N calls with a
given code (``POST /standin/fail {"count", "code"}``, or :meth:`AlertGatewayStandin.fail_next`),
or every call to one number (``POST /standin/fail-number {"to", "code"}``; ``code`` null heals it).

``make run`` starts it on 127.0.0.1:8400 when ``ALERT_GATEWAY_URL`` is not set. By hand::

    .venv/bin/python -m tools.alert_gateway_standin serve --port 8400 --token change-me-alert-token
    .venv/bin/python -m tools.alert_gateway_standin fail --count 1 --code 5000
"""

from __future__ import annotations

import argparse
import hmac
import itertools
import sys
import threading
import time
from collections import deque
from typing import Any

import requests
from flask import Flask, Response, jsonify, render_template_string, request

from common.masking import is_valid_phone

TEXT_LIMIT = 500
MESSAGES = {
    1001: (400, "invalid number"),
    1002: (429, "rate limited"),
    1003: (400, "invalid request"),
    4001: (401, "unauthorized"),
    5000: (500, "internal error"),
}
FAULTS = (*MESSAGES, 503)  # what it can be told to answer

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>短信/语音网关（本地替身）</title>
<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}.refused{color:#b00020}</style>
</head><body>
<h1>短信/语音网关（本地替身）</h1>
<p>值班通知“发”到这里：下面是收到的通知，最新的在上面。{% if failing %}接下来 {{ failing }} 次调用会失败。{% endif %}</p>
<table id="received"><thead><tr><th>时间</th><th>发给</th><th>语音</th><th>内容</th><th>编号</th></tr></thead><tbody>
{% for a in alerts %}<tr><td>{{ a.time }}</td><td>{{ a.to }}</td><td>{{ '是' if a.voice else '否' }}</td>
<td>{{ a.text }}</td><td>{{ a.reference }}</td></tr>
{% else %}<tr><td colspan="5">还没有收到通知。</td></tr>{% endfor %}
</tbody></table>
<h2>被拒绝的调用</h2>
<table id="refused"><thead><tr><th>时间</th><th>发给</th><th>结果</th></tr></thead><tbody>
{% for c in refused %}<tr class="refused"><td>{{ c.time }}</td><td>{{ c.to }}</td><td>{{ c.code }}</td></tr>
{% else %}<tr><td colspan="3">没有。</td></tr>{% endfor %}
</tbody></table>
</body></html>"""


class AlertGatewayStandin:
    def __init__(self, token: str, rate_limit: int = 10) -> None:
        self.token, self.rate_limit = token, rate_limit
        self.lock = threading.Lock()
        self.alerts: list[dict[str, Any]] = []  # taken and "sent"
        self.calls: list[dict[str, Any]] = []  # every call, with what it was answered
        self.faults: deque[int] = deque()  # the next calls answer these codes
        self.failing: dict[str, int] = {}  # numbers every call to which answers this code
        self.references: dict[str, str] = {}  # reference -> the id it was taken under
        self._ids = itertools.count(1)
        self.app = self._wsgi()

    # ---------------------------------------------------------------- what tests and demos do
    def fail_next(self, count: int = 1, code: int = 5000) -> None:
        """The next ``count`` calls answer ``code`` (1001, 1002, 1003, 4001, 5000 or 503)."""
        if code not in FAULTS:
            raise ValueError(f"code must be one of {FAULTS}")
        with self.lock:
            self.faults.extend([code] * count)

    def fail_number(self, to: str, code: int | None = 1001) -> None:
        """Every call to ``to`` answers ``code``; None: answers normally again."""
        with self.lock:
            if code is None:
                self.failing.pop(to, None)
            elif code in FAULTS:
                self.failing[to] = code
            else:
                raise ValueError(f"code must be one of {FAULTS}")

    def received(self, to: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(a) for a in self.alerts if to is None or a["to"] == to]

    def reset(self) -> None:
        with self.lock:
            self.alerts.clear()
            self.calls.clear()
            self.faults.clear()
            self.failing.clear()
            self.references.clear()

    # ---------------------------------------------------------------- the API
    def _wsgi(self) -> Flask:
        app = Flask("alert_gateway_standin")

        @app.post("/v1/alerts")
        def send():
            return self._send(request.headers.get("Authorization", ""), request.get_json(silent=True))

        @app.get("/")
        def page():
            with self.lock:
                alerts = [{**a, "time": _clock(a["at"])} for a in reversed(self.alerts)]
                refused = [{**c, "time": _clock(c["at"])} for c in reversed(self.calls) if c["code"]]
                failing = len(self.faults)
            return render_template_string(PAGE, alerts=alerts, refused=refused, failing=failing)

        @app.get("/standin/alerts")
        def alerts():
            with self.lock:
                return jsonify(alerts=list(self.alerts), calls=list(self.calls))

        @app.post("/standin/fail")
        def fail():
            body = request.get_json(force=True) or {}
            try:
                self.fail_next(int(body.get("count", 1)), int(body.get("code", 5000)))
            except ValueError as exc:
                return jsonify(error=str(exc)), 400
            return jsonify(ok=True, pending=len(self.faults))

        @app.post("/standin/fail-number")
        def fail_number():
            body = request.get_json(force=True) or {}
            code = body.get("code", 1001)
            try:
                self.fail_number(str(body.get("to", "")), None if code is None else int(code))
            except ValueError as exc:
                return jsonify(error=str(exc)), 400
            return jsonify(ok=True)

        @app.post("/standin/reset")
        def reset():
            self.reset()
            return jsonify(ok=True)

        return app

    def _send(self, authorization: str, body: Any):
        now = time.time()
        body = body if isinstance(body, dict) else {}
        to, text, reference = str(body.get("to", "")), body.get("text"), str(body.get("reference") or "")
        with self.lock:
            code = self._refusal(authorization, to, text, reference, body.get("voice"), now)
            self.calls.append({"at": now, "to": to, "reference": reference, "code": code})
            if code == 503:
                return Response("Service Unavailable", status=503, mimetype="text/plain")
            if code:
                status, message = MESSAGES[code]
                return jsonify(code=code, message=message), status
            if reference in self.references:
                return jsonify(id=self.references[reference], status="duplicate")
            alert_id = f"alrt_{next(self._ids):06d}"
            self.references[reference] = alert_id
            self.alerts.append(
                {"id": alert_id, "to": to, "text": text, "voice": body["voice"], "reference": reference, "at": now}
            )
        return jsonify(id=alert_id, status="accepted")

    def _refusal(self, authorization: str, to: str, text: Any, reference: str, voice: Any, now: float) -> int:
        """0, or the code this call is answered with (called holding the lock)."""
        if not hmac.compare_digest(authorization.encode(), f"Bearer {self.token}".encode()):
            return 4001
        if self.faults:
            return self.faults.popleft()
        if not is_valid_phone(to):
            return 1001
        if to in self.failing:
            return self.failing[to]
        if not isinstance(text, str) or not text.strip() or len(text) > TEXT_LIMIT or not reference:
            return 1003
        if not isinstance(voice, bool):
            return 1003
        recent = sum(1 for a in self.alerts if a["to"] == to and a["at"] > now - 60)
        return 1002 if recent >= self.rate_limit else 0


def _clock(at: float) -> str:
    return time.strftime("%m-%d %H:%M:%S", time.localtime(at))


# -------------------------------------------------------------------- command line (demo)
def _serve(args: argparse.Namespace) -> int:
    from werkzeug.serving import run_simple

    standin = AlertGatewayStandin(args.token)
    print(
        f"Alert gateway stand-in on http://127.0.0.1:{args.port} (received alerts at /)\n"
        f"Point the platform at it: ALERT_GATEWAY_URL=http://127.0.0.1:{args.port} ALERT_GATEWAY_TOKEN={args.token}",
        flush=True,
    )
    run_simple("127.0.0.1", args.port, standin.app, threaded=True)
    return 0


def _fail(args: argparse.Namespace) -> int:
    resp = requests.post(
        f"{args.standin.rstrip('/')}/standin/fail", json={"count": args.count, "code": args.code}, timeout=10
    )
    print(resp.json())
    return 0 if resp.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.alert_gateway_standin", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the stand-in")
    serve.add_argument("--port", type=int, default=8400)
    serve.add_argument("--token", default="change-me-alert-token")
    fail = sub.add_parser("fail", help="make the next calls fail")
    fail.add_argument("--count", type=int, default=1)
    fail.add_argument("--code", type=int, default=5000, choices=FAULTS)
    fail.add_argument("--standin", default="http://127.0.0.1:8400")
    args = parser.parse_args(argv)
    return _serve(args) if args.command == "serve" else _fail(args)


if __name__ == "__main__":
    sys.exit(main())
