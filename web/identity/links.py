"""The signed link from a chat to the verification pages, and what it carries.

The link names the sender the request came from, the flow to carry on with afterwards and
how to say it; it is signed with the app's secret and expires, so nobody can make one for
another sender or change the flow it resumes.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

LINK_LIFETIME_SECONDS = 30 * 60


@dataclass(frozen=True)
class VerifyRequest:
    sender: str  # the conversation that asked
    resume: str  # what the bot is sent once the resident is verified (intent syntax), "" for nothing
    what: str  # the errand in words, for "认证好了，我们接着办刚才的…"


class BindingLinks:
    def __init__(self, base_url: str, secret_key: str) -> None:
        self.base = base_url.rstrip("/")
        self.signer = URLSafeTimedSerializer(secret_key, salt="identity-link")

    def for_request(self, request: VerifyRequest) -> str:
        token = self.signer.dumps({"s": request.sender, "r": request.resume, "w": request.what})
        return f"{self.base}/identity/bind/{token}"

    def request(self, token: str) -> VerifyRequest | None:
        """The request a link carries; None when forged or older than its lifetime."""
        try:
            data = self.signer.loads(token, max_age=LINK_LIFETIME_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("s"), str):
            return None
        return VerifyRequest(data["s"], str(data.get("r") or ""), str(data.get("w") or ""))
