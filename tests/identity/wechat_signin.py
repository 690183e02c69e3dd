"""A WeChat resident verifies through the real pages, as a phone's browser would (no rows inserted).

``verify(live_stack, openid, resident)`` opens 我的 → 实名认证 in the WeChat stand-in's in-app
browser as ``openid``, goes through WeChat's web authorisation, signs ``resident`` in at the
identity provider stand-in (the code read from the SMS stand-in's demo page) and lands on the
platform's 认证成功 page: the back-office has then bound ``openid`` to ``resident``. Conversation
tests use it to talk as verified residents.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import requests


def verify(live_stack, openid: str, resident) -> None:
    """``resident``: anything with ``name``, ``id_number`` and ``phone`` (a registry row)."""
    web, idp = live_stack.url("web"), live_stack.url("backoffice") + "/idp"
    browser = requests.Session()
    status = browser.get(
        f"{live_stack.env['WECHAT_OPEN_BASE']}/standin/open?openid={openid}&url={quote(web + '/identity/')}", timeout=30
    )
    assert status.status_code == 200 and 'id="verify"' in status.text, status.text[:500]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', status.text).group(1)
    page = browser.post(web + "/identity/verify", data={"csrf_token": csrf}, timeout=30)
    assert page.status_code == 200 and 'id="id_number"' in page.text, page.text[:500]
    authorize = page.url  # the provider's page, with the platform's authorization request in its query
    sent = browser.post(
        authorize, data={"step": "identify", "name": resident.name, "id_number": resident.id_number}, timeout=30
    )
    assert sent.status_code == 200 and 'id="code"' in sent.text, sent.text[:500]
    texts = browser.get(idp + "/sms", timeout=30).text
    masked = resident.phone[:3] + "****" + resident.phone[-4:]
    code = re.search(re.escape(masked) + r"</td><td class=\"sms-text\">[^<]*?验证码是(\d{6})", texts).group(1)
    done = browser.post(authorize, data={"step": "verify", "code": code}, timeout=30)
    assert done.status_code == 200 and "认证成功" in done.text, done.text[:500]
    assert "接着说您想办的事" in done.text  # from the menu: nothing to carry on
