"""The link in a campaign's template message: ``/policy/r/<signed delivery id>``.

Signed with the app's secret key, so a resident cannot open another resident's link
by changing a number.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

from common.settings import Settings


class Links:
    def __init__(self, config: Settings) -> None:
        self.base = config.public_base_url
        self.signer = URLSafeSerializer(config.secret_key, salt="policy-link")

    def for_delivery(self, delivery_id: int) -> str:
        return f"{self.base}/policy/r/{self.signer.dumps(delivery_id)}"

    def delivery_id(self, token: str) -> int | None:
        try:
            value = self.signer.loads(token)
        except BadSignature:
            return None
        return value if isinstance(value, int) else None
