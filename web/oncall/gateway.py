"""The SMS/voice notification gateway's client: one call, one answer, no retries inside.

The API (docs/handoff.md, "The gateway"): ``POST {ALERT_GATEWAY_URL}/v1/alerts`` with
``Authorization: Bearer {ALERT_GATEWAY_TOKEN}`` and ``{"to", "text", "voice", "reference"}``
answers ``{"id", "status"}``; a refusal answers ``{"code", "message"}``. The caller (the
delivery, web/oncall/delivery.py) decides what to do next from :class:`Fault`: try the same
person again, go on to the next person, or stop because no one can be reached this way.
``reference`` makes a repeated call safe: the gateway sends an alert with a reference it has
seen once only, so a call that timed out after the gateway took it is not sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import requests

TIMEOUT = (3.05, 10)  # connect, read (seconds): the task tries again soon, it must not hang


class Fault(Enum):
    TRANSIENT = "transient"  # may pass: call the same person again after a while
    PERSON = "person"  # this person cannot be reached this way: the next one
    GATEWAY = "gateway"  # nobody can be reached this way (bad token, text refused): stop


# The gateway's error codes (docs/handoff.md) and what each means for the caller.
CODES = {
    1001: Fault.PERSON,  # invalid number
    1002: Fault.TRANSIENT,  # rate limited
    1003: Fault.GATEWAY,  # text empty or too long
    4001: Fault.GATEWAY,  # unauthorized (token)
    5000: Fault.TRANSIENT,  # internal error
}


class GatewayError(Exception):
    def __init__(self, fault: Fault, code: str, message: str) -> None:
        super().__init__(f"{code} {message}".strip())
        self.fault, self.code, self.message = fault, code, message


@dataclass(frozen=True)
class Sent:
    id: str
    status: str  # accepted; duplicate for a reference the gateway had already taken


class AlertGateway:
    def __init__(self, base_url: str, token: str, http: requests.Session | None = None) -> None:
        self.url = base_url.rstrip("/") + "/v1/alerts"
        self.token = token
        self.http = http or requests.Session()

    def send(self, to: str, text: str, voice: bool, reference: str) -> Sent:
        """Send one alert; raises :class:`GatewayError` with what to do next."""
        try:
            resp = self.http.post(
                self.url,
                json={"to": to, "text": text, "voice": voice, "reference": reference},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=TIMEOUT,
            )
        except requests.Timeout as exc:
            raise GatewayError(Fault.TRANSIENT, "timeout", "网关没有应答") from exc
        except requests.RequestException as exc:
            raise GatewayError(Fault.TRANSIENT, "unreachable", "连不上网关") from exc
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.ok and isinstance(body, dict) and body.get("id"):
            return Sent(str(body["id"]), str(body.get("status") or "accepted"))
        raise _refusal(resp.status_code, body)


def _refusal(status: int, body: object) -> GatewayError:
    code = body.get("code") if isinstance(body, dict) else None
    message = str(body.get("message") or "") if isinstance(body, dict) else ""
    if isinstance(code, int) and code in CODES:
        return GatewayError(CODES[code], str(code), message)
    if status in (401, 403):
        return GatewayError(Fault.GATEWAY, f"HTTP {status}", message or "unauthorized")
    if status == 429 or status >= 500:  # 503 while the gateway is down for maintenance, any 5xx
        return GatewayError(Fault.TRANSIENT, f"HTTP {status}", message)
    # an answer we do not know (a 2xx without an id, another 4xx): try the next person rather than stop
    return GatewayError(
        Fault.PERSON, str(code) if code is not None else f"HTTP {status}", message or "unexpected answer"
    )
