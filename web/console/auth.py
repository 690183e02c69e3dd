"""Signing in and out (the door to the console and to the admin pages), and the console's
guard: the staff pages' one guard (``web/admin/guard.py``) on the whole blueprint, plus
the desk's presence (who is online)."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import select

from common.db import session as db_session
from web.admin.audit import audit
from web.admin.guard import protect
from web.console import accounts
from web.console.blueprint import bp
from web.handoff.config import utcnow
from web.handoff.models import Agent

login_manager = LoginManager()
login_manager.login_view = "console.login"
login_manager.login_message = "请先登录。"
login_manager.session_protection = "strong"

SEEN_EVERY = timedelta(minutes=1)


@login_manager.user_loader
def load_agent(agent_id: str) -> Agent | None:
    agent = db_session().get(Agent, int(agent_id)) if agent_id.isdigit() else None
    return agent if agent is not None and agent.active else None


protect(bp, public={"console.login"}, no_redirect={"console.stream"})  # the staff pages' one guard (web/admin/guard.py)


@bp.before_request
def seen():
    """Who is at the desk: a signed-in account's console requests count it as online (queue.agents_online)."""
    if current_user.is_authenticated:
        now = utcnow()
        if current_user.last_seen_at is None or now - current_user.last_seen_at > SEEN_EVERY:
            current_user.last_seen_at = now
            db_session().commit()
    return None


def _safe_next(target: str | None) -> str:
    """Back to the staff page the visitor asked for (console or admin), never to another site."""
    inside = (
        target and target.startswith(("/console/", "/admin/")) and not target.startswith("//") and "\\" not in target
    )
    return target if inside else url_for("console.queue_page")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("console/login.html", next=request.args.get("next", ""))
    sess = db_session()
    username = request.form.get("username", "").strip()[:40]
    result = accounts.authenticate(sess, username, request.form.get("password", ""), utcnow())
    agent = result.agent or sess.scalar(select(Agent).where(Agent.username == username))
    audit(
        sess,
        "login" if result.agent else ("login_locked" if result.locked else "login_failed"),
        agent=agent,
        username=username,
    )
    sess.commit()
    if result.agent is None:
        flash("账号已被暂时锁定，请 15 分钟后再试，或联系管理员。" if result.locked else "用户名或密码不对。", "error")
        return render_template("console/login.html", next=request.form.get("next", "")), 401
    session.clear()  # a fresh session on sign-in (no fixation)
    login_user(result.agent)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    sess = db_session()
    audit(sess, "logout")
    sess.commit()
    logout_user()
    session.clear()
    return redirect(url_for("console.login"))
