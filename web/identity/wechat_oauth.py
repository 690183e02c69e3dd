"""WeChat's web authorisation (网页授权, ``snsapi_base``) through wechatpy, with timeouts.

It tells the verification pages which openid is holding the phone, without asking the
resident anything: WeChat redirects back at once with a code that gives the openid.
"""

from __future__ import annotations

from typing import Any

import requests
from wechatpy.exceptions import WeChatOAuthException
from wechatpy.oauth import WeChatOAuth

TIMEOUT_SECONDS = 5


class WechatWebAuth(WeChatOAuth):
    """wechatpy's OAuth client on configurable WeChat hosts (tests: the stand-in), every call timed out."""

    def __init__(self, app_id: str, secret: str, redirect_uri: str, state: str, api_base: str, open_base: str) -> None:
        super().__init__(app_id, secret, redirect_uri, scope="snsapi_base", state=state)
        self.API_BASE_URL = api_base.rstrip("/") + "/"
        self.OAUTH_BASE_URL = open_base.rstrip("/") + "/connect/"

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", TIMEOUT_SECONDS)
        return super()._request(method, url_or_endpoint, **kwargs)

    def openid(self, code: str) -> str | None:
        """The openid a code stands for; None when WeChat refuses it (used, expired, forged) or is unreachable."""
        try:
            return str(self.fetch_access_token(code)["openid"])
        except (WeChatOAuthException, requests.RequestException, KeyError):
            return None
