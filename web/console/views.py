"""The queue page and the conversation view, and what an agent does from them."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from common.db import session as db_session
from common.masking import mask_phone, mask_text
from web.admin.audit import audit
from web.channels.web_senders import verifiable
from web.console import profile as profiles
from web.console import reach
from web.console.blueprint import bp
from web.console.services import services
from web.console.understanding import Understanding, from_tracker
from web.conversations.models import Conversation, Message
from web.documents import status as document_status
from web.handoff import config, handback, queue, undelivered
from web.handoff.child_protection import referral as child_protection
from web.handoff.models import Agent, AgentGroup, CannedReply, Ticket
from web.handoff.rasa_api import RasaApiError
from web.outbound import doubt
from web.rasa_client import BotMessage
from web.review import export as review_export
from web.review import inbox as review_inbox

MAX_REPLY = 1000


@bp.app_template_filter("iso")
def _iso(moment) -> str:
    return moment.isoformat() + "Z" if moment else ""


@bp.app_template_filter("mask_phone")
def _mask_phone(value: str) -> str:
    return mask_phone(value)


@bp.app_template_filter("local_time")
def _local_time(moment) -> str:
    return config.to_local(moment).strftime("%m-%d %H:%M") if moment else ""


def _queue_context() -> dict:
    sess = db_session()
    return {
        "waiting": queue.waiting(sess, current_user),
        "mine": queue.active(sess, current_user),
        "callbacks": [  # replies WeChat refused, until an agent reached the resident (web/handoff/undelivered.py)
            (conversation_id, count)
            for conversation_id, count in undelivered.open_by_conversation(sess)
            if queue.can_view(sess, current_user, conversation_id)
        ],
        "now": config.utcnow(),
        "is_open": config.is_open(sess, config.utcnow()),
    }


@bp.get("/")
def queue_page():
    return render_template("console/queue.html", **_queue_context())


@bp.get("/queue/rows")
def queue_rows():
    return render_template("console/_queue_rows.html", **_queue_context())


def _viewable(conversation_id: int) -> Conversation:
    sess = db_session()
    conv = sess.get(Conversation, conversation_id)
    if conv is None or not queue.can_view(sess, current_user, conversation_id):
        audit(sess, "view_denied", conversation_id if conv else None, requested=conversation_id)
        sess.commit()
        abort(403 if conv else 404)
    return conv


def _ticket(conv: Conversation) -> Ticket:
    ticket = queue.open_ticket(db_session(), conv.id)
    if ticket is None:
        abort(409, description="这个会话现在不在人工队列里")
    return ticket


def _understanding(conv: Conversation) -> tuple[Understanding | None, str | None]:
    try:
        return from_tracker(services().rasa.tracker(conv.sender_id)), None
    except RasaApiError:
        return None, "暂时读不到机器人的记录"


def _profile(conv: Conversation) -> tuple[dict | None, str | None]:
    try:
        found = profiles.lookup(services().backoffice, conv)
    except profiles.ProfileUnavailable as exc:
        return None, str(exc)
    return (found.masked(), None) if found else (None, None)


def _verification(conv: Conversation) -> tuple[profiles.Verification | None, str | None]:
    try:
        return profiles.verification(services().backoffice, conv), None
    except profiles.ProfileUnavailable as exc:
        return None, str(exc)


@bp.get("/conversations/<int:conversation_id>")
def conversation_page(conversation_id: int):
    conv = _viewable(conversation_id)
    sess = db_session()
    verified, verified_error = _verification(conv)
    audit(sess, "view_conversation", conv.id)
    if verifiable(conv.channel, conv.sender_id):  # the verification read from the back-office: audited like the profile
        audit(sess, "view_verification", conv.id, verified=verified.verified if verified else None)
    sess.commit()
    ticket = queue.latest_ticket(sess, conv.id)
    understanding, understanding_error = _understanding(conv)
    shown_profile, profile_error = _profile(conv)
    return render_template(
        "console/conversation.html",
        conv=conv,
        ticket=ticket,
        now=config.utcnow(),
        messages=[
            (m, mask_text(m.text))
            for m in sess.scalars(select(Message).where(Message.conversation_id == conv.id).order_by(Message.id))
        ],
        intents=review_export.known_intents(),
        understanding=understanding,
        understanding_error=understanding_error,
        profile=shown_profile,
        profile_error=profile_error,
        verification=verified,
        verification_error=verified_error,
        child_protection=child_protection.for_conversation(sess, conv.id),
        documents=document_status.for_sender(sess, conv.sender_id),
        in_doubt=[(m, mask_text(str(m.body.get("content", "")))) for m in doubt.for_resident(sess, conv.sender_id)],
        reach=reach.for_page(sess, conv),
        canned=sess.scalars(select(CannedReply).order_by(CannedReply.title)).all(),
        agents=sess.scalars(
            select(Agent).where(Agent.active.is_(True), Agent.id != current_user.id).order_by(Agent.display_name)
        ).all(),
        groups=sess.scalars(select(AgentGroup).order_by(AgentGroup.name)).all(),
        desk=config.desk(),
        handling=ticket is not None
        and ticket.status == "active"
        and (ticket.agent_id == current_user.id or current_user.sees_everything),
        position=queue.position(sess, ticket) if ticket is not None and ticket.status == "waiting" else None,
        sla_breached=queue.sla_breached(ticket, config.utcnow()) if ticket else False,
    )


@bp.post("/conversations/<int:conversation_id>/reveal")
def reveal(conversation_id: int):
    conv = _viewable(conversation_id)
    sess = db_session()
    try:
        found = profiles.lookup(services().backoffice, conv)
    except profiles.ProfileUnavailable as exc:
        return jsonify(error="unavailable", message=str(exc)), 503
    ticket = queue.latest_ticket(sess, conv.id)
    audit(sess, "reveal_profile", conv.id, fields=["id_number", "phone", "callback_phone"])
    sess.commit()
    data = found.data if found else {}
    return jsonify(
        id_number=data.get("id_number"),
        phone=data.get("phone"),
        callback_phone=ticket.callback_phone if ticket else None,
    )


def _commit_and_deliver(sess: Session, conv: Conversation, ticket: Ticket, messages: list[BotMessage]) -> None:
    """Commit the desk's change with the messages to the resident (WeChat customer-service API
    or the web chat's mailbox) written in the same transaction, then hand them over."""
    outbound = current_app.extensions["outbound"]
    recorded = (
        outbound.record(sess, conv.sender_id, messages, "agent", ref=f"handoff:{ticket.id}") if messages else None
    )
    sess.commit()
    if recorded:
        outbound.dispatch(recorded)


def _done(conv: Conversation, message: str | None = None, status: int = 200):
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(ok=status < 400, message=message), status
    if message:
        flash(message, "error" if status >= 400 else "info")
    return redirect(url_for("console.conversation_page", conversation_id=conv.id))


@bp.post("/conversations/<int:conversation_id>/claim")
def claim(conversation_id: int):
    conv = _viewable(conversation_id)
    sess = db_session()
    ticket = _ticket(conv)
    try:
        queue.claim(sess, ticket, current_user, config.utcnow())
    except queue.QueueError as exc:
        sess.rollback()
        return _done(conv, str(exc), 409)
    text = config.desk().texts["claimed"].format(agent=current_user.display_name)
    queue.say(sess, conv, "agent", text, {"agent": current_user.username})
    _commit_and_deliver(sess, conv, ticket, [BotMessage(text=text)])
    return _done(conv)


@bp.post("/conversations/<int:conversation_id>/reply")
def reply(conversation_id: int):
    conv = _viewable(conversation_id)
    sess = db_session()
    ticket = _ticket(conv)
    text = (request.form.get("text") or (request.get_json(silent=True) or {}).get("text") or "").strip()
    if not text or len(text) > MAX_REPLY:
        return _done(conv, f"回复不能为空，最多 {MAX_REPLY} 字", 400)
    try:
        queue.require_handler(ticket, current_user)
    except queue.QueueError as exc:
        return _done(conv, str(exc), 409)
    before = reach.for_page(sess, conv)  # what the agent was shown: can this reply reach the resident?
    queue.say(sess, conv, "agent", text, {"agent": current_user.username})
    _commit_and_deliver(sess, conv, ticket, [BotMessage(text=text)])
    if before is not None and before["window"].state in ("closed", "used_up"):
        return _done(
            conv,
            (
                "已保存。客服消息窗口已关闭或本轮条数已用完，这条回复居民很可能收不到："
                "微信拒收时会列在“未送达，待回电”里，请打电话告诉居民。"
            ),
        )
    return _done(conv)


@bp.post("/conversations/<int:conversation_id>/note")
def note(conversation_id: int):
    conv = _viewable(conversation_id)
    sess = db_session()
    ticket = _ticket(conv)
    text = (request.form.get("text") or "").strip()[:2000]
    if not text:
        return _done(conv, "备注不能为空", 400)
    queue.add_note(sess, ticket, current_user, text)
    sess.commit()
    return _done(conv)


@bp.post("/conversations/<int:conversation_id>/transfer")
def transfer(conversation_id: int):
    conv = _viewable(conversation_id)
    sess = db_session()
    ticket = _ticket(conv)
    target = request.form.get("target", "")
    kind, _, raw_id = target.partition(":")
    to_agent = sess.get(Agent, int(raw_id)) if kind == "agent" and raw_id.isdigit() else None
    to_group = sess.get(AgentGroup, int(raw_id)) if kind == "group" and raw_id.isdigit() else None
    try:
        queue.transfer(
            sess,
            ticket,
            current_user,
            config.utcnow(),
            to_agent=to_agent,
            to_group_id=to_group.id if to_group else None,
        )
    except queue.QueueError as exc:
        sess.rollback()
        return _done(conv, str(exc), 409)
    audit(sess, "transfer", conv.id, to=target)
    sess.commit()
    flash("已转交。", "info")
    return redirect(url_for("console.queue_page"))


@bp.post("/conversations/<int:conversation_id>/messages/<int:message_id>/correct")
def correct(conversation_id: int, message_id: int):
    """The agent says what a resident's message really meant: labelled at once in the NLU review inbox."""
    conv = _viewable(conversation_id)
    sess = db_session()
    intent = (request.form.get("intent") or (request.get_json(silent=True) or {}).get("intent") or "").strip()
    if intent not in review_export.known_intents() and intent != review_inbox.OUT_OF_SCOPE:
        return _done(conv, "请从列表里选一个意图", 400)
    message = sess.get(Message, message_id)
    if message is None or message.conversation_id != conv.id or not message.typed:
        return _done(conv, "只能纠正居民自己打的字", 404)
    review_inbox.add_correction(sess, message.id, intent, current_user.username)
    audit(sess, "correct_intent", conv.id, message=message.id, intent=intent)
    sess.commit()
    return _done(conv, "谢谢！已记下，审核后会用来训练机器人。")


@bp.post("/conversations/<int:conversation_id>/close")
def close(conversation_id: int):
    conv = _viewable(conversation_id)
    sess = db_session()
    ticket = _ticket(conv)
    outcome = request.form.get("outcome", "")
    flow = config.desk().flow(request.form.get("flow", "")) if outcome == "handed_back" else None
    values = {name: request.form.get(f"value_{name}", "") for name in (flow.entities if flow else ())}
    try:
        conv, messages = handback.finish(
            sess,
            services().rasa,
            services().bot,
            ticket,
            current_user,
            outcome,
            config.utcnow(),
            flow,
            values,
            side_effects=current_app.extensions["router"].side_effects,
        )
    except queue.QueueError as exc:
        sess.rollback()
        return _done(conv, str(exc), 409)
    except RasaApiError:
        sess.rollback()
        return _done(conv, "机器人暂时连不上，会话仍由您处理，请稍后再试", 503)
    _commit_and_deliver(sess, conv, ticket, messages)
    flash("会话已结束，交回智能助手。" if outcome == "handed_back" else "会话已结束。", "info")
    return redirect(url_for("console.queue_page"))
