"""WeChat's web authorisation (网页授权, OAuth 2.0) as the WeChat stand-in plays it.

As documented for Official Accounts (developers.weixin.qq.com, 网页授权):

* ``GET /connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state`` — opened
  in WeChat's in-app browser; with ``snsapi_base`` it redirects at once to
  ``redirect_uri?code=CODE&state=STATE``. The code is good for one exchange within 5 minutes.
  A redirect_uri outside the account's authorised domain (网页授权域名) shows WeChat's error
  page (10003), as do a missing scope (10010), redirect_uri (10011) or appid (10012), an
  unknown scope (10005) and an appid that is not the account's. Outside WeChat the page says
  "请在微信客户端打开链接".
* ``GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`` → ``{access_token,
  expires_in, refresh_token, openid, scope}``, or errcode 40013 (appid), 40125 (secret), 40029
  (an unknown or expired code), 40163 (a code already used), 40002 (grant_type).

Which resident is holding the phone is what the in-app browser knows: here, a cookie that
``GET /standin/open?openid=…&url=…`` sets before it sends the browser on to ``url`` (a test, or a
person trying the demo, opens a link "in WeChat" as that resident).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from flask import Flask, jsonify, redirect, request

CODE_TTL = 300
WEBVIEW_COOKIE = "standin_wechat_openid"
SCOPES = ("snsapi_base", "snsapi_userinfo")
PAGE_ERRORS = {
    10003: "redirect_uri域名与后台配置不一致",
    10005: "此公众号并没有这些scope的权限",
    10010: "scope不能为空",
    10011: "redirect_uri不能为空",
    10012: "appid不能为空",
    10016: "appid参数错误",
}
API_ERRORS = {
    40002: "invalid grant_type",
    40013: "invalid appid",
    40029: "invalid code",
    40125: "invalid appsecret",
    40163: "code been used",
}


@dataclass
class Grant:
    openid: str
    scope: str
    expires: float
    used: bool = False


class OAuthStandin:
    def __init__(self, app_id: str, app_secret: str, domain: str) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.domain = domain  # the account's 网页授权域名: host[:port] of the pages it may redirect to
        self.lock = threading.Lock()
        self.grants: dict[str, Grant] = {}

    def register(self, app: Flask) -> None:
        app.add_url_rule("/connect/oauth2/authorize", view_func=self.authorize)
        app.add_url_rule("/sns/oauth2/access_token", view_func=self.access_token)
        app.add_url_rule("/standin/open", view_func=self.open_in_wechat)

    def open_in_wechat(self):
        response = redirect(request.args["url"])
        response.set_cookie(WEBVIEW_COOKIE, request.args["openid"], httponly=True)
        return response

    def authorize(self):
        a = request.args
        openid = request.cookies.get(WEBVIEW_COOKIE)
        if not openid:
            return _page("请在微信客户端打开链接"), 200
        problem = (
            10012
            if not a.get("appid")
            else 10016
            if a["appid"] != self.app_id
            else 10011
            if not a.get("redirect_uri")
            else 10010
            if not a.get("scope")
            else 10005
            if a["scope"] not in SCOPES
            else 10003
            if urlsplit(a["redirect_uri"]).netloc != self.domain
            else 0
        )
        if problem:
            return _page(f"{PAGE_ERRORS[problem]}，错误码：{problem}"), 200
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.grants[code] = Grant(openid, a["scope"], time.time() + CODE_TTL)
        target = a["redirect_uri"]
        query = urlencode({"code": code, "state": a.get("state", "")})
        return redirect(f"{target}{'&' if urlsplit(target).query else '?'}{query}")

    def access_token(self):
        a = request.args
        if a.get("appid") != self.app_id:
            return _error(40013)
        if a.get("secret") != self.app_secret:
            return _error(40125)
        if a.get("grant_type") != "authorization_code":
            return _error(40002)
        with self.lock:
            grant = self.grants.get(a.get("code", ""))
            if grant is None or grant.expires < time.time():
                return _error(40029)
            if grant.used:
                return _error(40163)
            grant.used = True
        return jsonify(
            access_token=secrets.token_urlsafe(48),
            expires_in=7200,
            refresh_token=secrets.token_urlsafe(48),
            openid=grant.openid,
            scope=grant.scope,
            is_snapshotuser=0,
        )


def _page(text: str) -> str:
    return f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>微信</title><p id="wechat-error">{text}</p></html>'


def _error(code: int):
    return jsonify(errcode=code, errmsg=f"{API_ERRORS[code]}, rid: standin-{secrets.token_hex(4)}")
