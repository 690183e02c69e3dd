"""The WeChat stand-in's web authorisation (网页授权) follows WeChat's documented protocol and codes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tools.wechat_standin import WechatStandin

APP_ID, SECRET = "wx_oauth_test", "oauth-secret"
PAGE = "http://platform.test/identity/wechat"


@pytest.fixture
def wechat():
    standin = WechatStandin("http://platform.test/wechat", "token", APP_ID, SECRET)
    return standin.app.test_client()


def _authorize(client, **overrides):
    query = {"appid": APP_ID, "redirect_uri": PAGE, "response_type": "code", "scope": "snsapi_base", "state": "st1"}
    query.update(overrides)
    return client.get("/connect/oauth2/authorize", query_string={k: v for k, v in query.items() if v is not None})


def _exchange(client, code, overrides: dict | None = None):
    query = {"appid": APP_ID, "secret": SECRET, "code": code, "grant_type": "authorization_code"}
    query.update(overrides or {})
    return client.get("/sns/oauth2/access_token", query_string=query).get_json()


def _open_as(client, openid):
    client.get("/standin/open", query_string={"openid": openid, "url": PAGE})


def test_snsapi_base_redirects_with_a_code_that_gives_the_openid_once(wechat):
    _open_as(wechat, "oResident42")
    answer = _authorize(wechat)
    assert answer.status_code == 302
    target = urlsplit(answer.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == PAGE
    params = parse_qs(target.query)
    assert params["state"] == ["st1"]
    token = _exchange(wechat, params["code"][0])
    assert (token["openid"], token["scope"], token["expires_in"]) == ("oResident42", "snsapi_base", 7200)
    assert _exchange(wechat, params["code"][0])["errcode"] == 40163


def test_outside_wechat_the_page_asks_to_open_the_link_in_the_client(wechat):
    answer = _authorize(wechat)
    assert answer.status_code == 200 and "请在微信客户端打开链接" in answer.text


@pytest.mark.parametrize(
    "override,code",
    [
        ({"redirect_uri": "http://evil.test/cb"}, 10003),
        ({"scope": "snsapi_all"}, 10005),
        ({"scope": None}, 10010),
        ({"redirect_uri": None}, 10011),
        ({"appid": None}, 10012),
        ({"appid": "wx_other"}, 10016),
    ],
)
def test_a_bad_authorisation_request_shows_wechats_error_page(wechat, override, code):
    _open_as(wechat, "oResident42")
    answer = _authorize(wechat, **override)
    assert answer.status_code == 200 and f"错误码：{code}" in answer.text


@pytest.mark.parametrize(
    "override,errcode",
    [
        ({"appid": "wx_other"}, 40013),
        ({"secret": "guess"}, 40125),
        ({"grant_type": "client_credentials"}, 40002),
        ({"code": "made-up"}, 40029),
    ],
)
def test_the_code_exchange_answers_wechats_error_codes(wechat, override, errcode):
    _open_as(wechat, "oResident42")
    code = parse_qs(urlsplit(_authorize(wechat).headers["Location"]).query)["code"][0]
    assert _exchange(wechat, code, override)["errcode"] == errcode
