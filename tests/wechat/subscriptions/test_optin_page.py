"""The opt-in page: WeChat's subscribe button for the account's notice templates, with a JS-SDK
configuration WeChat accepts; the resident's choice comes back as subscribe_msg_popup_event."""

from __future__ import annotations

import re

import requests

from web.subscriptions import consent, templates
from web.subscriptions.jssdk import signature
from web.subscriptions.models import NoticeConsent


def test_the_page_offers_the_templates_and_a_signed_jssdk_config(wechat_stack):
    url = wechat_stack.url + "/subscriptions/"
    page = requests.get(url, timeout=10)
    assert page.status_code == 200
    html = page.text
    ids = [t.template_id for t in templates.all_templates().values()][:5]  # WeChat: at most 5 per button
    assert f'<wx-open-subscribe template="{",".join(ids)}"' in html
    assert all(t.title in html for t in list(templates.all_templates().values())[:5])
    fields = dict(re.findall(r'(appId|nonceStr|signature): "([^"]+)"', html))
    timestamp = int(re.search(r"timestamp: (\d+)", html).group(1))
    assert fields["appId"] == wechat_stack.env["WECHAT_APP_ID"]
    ticket = wechat_stack.standin.jsapi_ticket
    assert ticket and fields["signature"] == signature(ticket, fields["nonceStr"], timestamp, url)
    assert requests.get(url, timeout=10).status_code == 200  # the ticket is kept: one fetch
    with wechat_stack.standin.lock:
        assert wechat_stack.standin.jsapi_ticket == ticket

    # The resident taps the button and 同意 in WeChat's pop-up: WeChat tells /wechat.
    openid = "oOptInPage01"
    wechat_stack.standin.send_event(openid, "subscribe")
    status = templates.get("status").template_id
    wechat_stack.standin.accept_notices(openid, {status: "accept"}, scene=1)
    with wechat_stack.sessions() as sess:
        assert sess.get(NoticeConsent, (openid, status)).source == "popup_h5"
        assert consent.opted_in(sess, openid, "status") and not consent.opted_in(sess, openid, "appointment")
