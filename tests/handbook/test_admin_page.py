"""An administrator edits a handbook entry in `/admin/handbook` and the bot's next answer uses it."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import requests
from sqlalchemy import delete
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from tests.eldercare.chat import backoffice, say
from web.console import accounts
from web.handoff.models import Agent

pytestmark = pytest.mark.stack

PASSWORD = "handbook-admin-pw-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _account(live_stack, username: str, role: str) -> None:
    sessions = sessionmaker(make_engine(live_stack.env["DATABASE_URL"]), expire_on_commit=False)
    with sessions.begin() as sess:
        sess.execute(delete(Agent).where(Agent.username == username))
        accounts.create(sess, username, PASSWORD, role, username)


def _signed_in(live_stack, username: str) -> requests.Session:
    web = requests.Session()
    page = web.get(live_stack.url("web") + "/console/login", timeout=10).text
    resp = web.post(
        live_stack.url("web") + "/console/login",
        timeout=10,
        allow_redirects=False,
        data={"username": username, "password": PASSWORD, "csrf_token": CSRF.search(page).group(1)},
    )
    assert resp.status_code == 302
    return web


def test_an_edit_on_the_admin_page_changes_the_bots_answer(live_stack):
    _account(live_stack, "hb_admin", "admin")
    web = _signed_in(live_stack, "hb_admin")
    listing = web.get(live_stack.url("web") + "/admin/handbook/", timeout=10)
    assert listing.status_code == 200 and "收养登记" in listing.text
    entry = backoffice(live_stack, "GET", "/handbook/entries", params={"topic": "adoption"}).json()["entries"][0]
    form = web.get(f"{live_stack.url('web')}/admin/handbook/{entry['id']}", timeout=10).text
    new_contact = f"区婚姻（收养）登记处 021-6{uuid.uuid4().int % 10**7:07d}"
    fields = {
        "title": entry["title"],
        "body": entry["body"],
        "conditions": entry["conditions"],
        "how_to_apply": entry["how_to_apply"],
        "contact": new_contact,
        "source": entry["source"],
        "next_step": entry["next_step"],
        "documents": "\n".join(entry["documents"]),
        "keywords": "\n".join(entry["keywords"]),
        "effective_date": entry["effective_date"] or "",
        "district": entry["district_code"] or "",
    }
    refused = web.post(f"{live_stack.url('web')}/admin/handbook/{entry['id']}", data=fields, timeout=10)
    assert refused.status_code == 400  # no CSRF token
    saved = web.post(
        f"{live_stack.url('web')}/admin/handbook/{entry['id']}",
        timeout=10,
        allow_redirects=False,
        data={**fields, "csrf_token": CSRF.search(form).group(1)},
    )
    assert saved.status_code == 302
    stored = backoffice(live_stack, "GET", f"/handbook/entries/{entry['id']}").json()
    assert stored["contact"] == new_contact and stored["updated_by"] == "hb_admin"
    question = "/faq" + json.dumps(
        {"handbook_topic": "adoption", "handbook_query": "收养登记去哪里办"}, ensure_ascii=False
    )
    assert new_contact in say(live_stack, "hb-" + uuid.uuid4().hex[:8], question).text


def test_the_admin_page_needs_a_supervisor_or_admin(live_stack):
    anonymous = requests.get(live_stack.url("web") + "/admin/handbook/", timeout=10, allow_redirects=False)
    assert anonymous.status_code in (302, 401)
    _account(live_stack, "hb_agent", "agent")
    assert (
        _signed_in(live_stack, "hb_agent").get(live_stack.url("web") + "/admin/handbook/", timeout=10).status_code
        == 403
    )
