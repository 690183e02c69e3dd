"""A page that is not there (an old or mistyped campaign link), a wrong method, or a page that
breaks: the person reads plain Chinese, never Flask's English; a data request gets JSON."""

from __future__ import annotations

import re

from tests.integration.conftest import PlatformApp


def test_an_old_campaign_link_gets_a_chinese_page(platform_app: PlatformApp):
    resp = platform_app.app.test_client().get("/policy/r/this-link-was-never-sent", headers={"Accept": "text/html"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 404
    assert "这个页面找不到了" in page and "重新打开" in page
    assert not re.search(r"Not Found|requested URL", page)


def test_an_unknown_address_asked_for_data_gets_json_in_chinese(platform_app: PlatformApp):
    resp = platform_app.app.test_client().get("/no/such/thing", headers={"Accept": "application/json"})
    assert resp.status_code == 404
    assert resp.json["error"] == "not_found" and "找不到" in resp.json["message"]


def test_a_wrong_method_gets_a_chinese_page(platform_app: PlatformApp):
    resp = platform_app.app.test_client().delete("/chat", headers={"Accept": "text/html"})
    assert resp.status_code == 405 and "这个页面不能这样打开" in resp.get_data(as_text=True)


def test_a_page_that_breaks_says_so_in_chinese(platform_app: PlatformApp):
    app = platform_app.app
    app.testing = False  # as in production: the error is answered, not raised into the test
    try:
        with app.test_request_context("/chat", headers={"Accept": "text/html"}):
            resp = app.handle_exception(RuntimeError("boom"))  # what Flask does with an error a view raised
    finally:
        app.testing = True
    page = resp.get_data(as_text=True)
    assert resp.status_code == 500 and "系统出了点问题" in page and "12345" in page
