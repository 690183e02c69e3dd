"""Where the router hands a resident's message to the desk instead of the bot."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from common import sensitive
from web.conversations.models import Conversation, Message
from web.handoff import config, queue, rules


def intercept(sess: Session, conv: Conversation, message: Message, now: datetime) -> list[str] | None:
    """``None``: the bot answers. Otherwise the message is the desk's (the conversation is
    queued or with an agent, tells a sensitive story, or an administrator's rule matched
    it just now); the returned texts, already in the transcript, answer the resident at once."""
    if conv.state != "bot":
        return queue.resident_message(sess, conv, message, now)
    story = sensitive.recognise(message.text)
    if story is not None:  # whatever the NLU would make of it: care, the number to call, a person now
        notice = queue.enqueue(sess, conv, "sensitive", "urgent", now)
        text = story.reply + "\n\n" + notice
        queue.say(sess, conv, "bot", text, {"sensitive": story.category})
        return [text]
    rule = rules.matching(sess, message.text)
    if rule is None:
        return None
    notice = queue.enqueue(sess, conv, f"rule:{rule.name}", rule.priority, now, rule.group_id)
    text = config.desk().texts["rule_handoff"] + "\n\n" + notice
    queue.say(sess, conv, "bot", text, {"rule": rule.name})
    return [text]
