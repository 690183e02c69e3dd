"""Console accounts: password hashing, sign-in with lockout, and the command line.

    python -m web.console.accounts create USERNAME --role agent|supervisor|admin [--name 王芳] [--group 救助组]

The password is asked for on the terminal (or read from ``--password-stdin``).
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import check_password_hash, generate_password_hash

from web.handoff.models import ROLES, Agent, AgentGroup

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 10
DEMO_SUPERVISOR = "supervisor"
# Compared against when the username is unknown, so both paths cost one hash check.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(Exception):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位")
    return generate_password_hash(password, method="scrypt")


def group_named(sess: Session, name: str | None) -> AgentGroup | None:
    if not name:
        return None
    group = sess.scalar(select(AgentGroup).where(AgentGroup.name == name))
    if group is None:
        group = AgentGroup(name=name)
        sess.add(group)
        sess.flush()
    return group


def create(
    sess: Session,
    username: str,
    password: str,
    role: str = "agent",
    display_name: str | None = None,
    group: str | None = None,
) -> Agent:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if sess.scalar(select(Agent.id).where(Agent.username == username)) is not None:
        raise AccountError(f"account {username!r} already exists")
    agent = Agent(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        group=group_named(sess, group),
    )
    sess.add(agent)
    sess.flush()
    return agent


class SignIn:
    """The outcome of a sign-in attempt: ``agent`` on success, else ``locked`` or a wrong password."""

    def __init__(self, agent: Agent | None, locked: bool = False) -> None:
        self.agent, self.locked = agent, locked


def authenticate(sess: Session, username: str, password: str, now: datetime) -> SignIn:
    """Check a password; ``MAX_FAILURES`` wrong ones in a row lock the account for ``LOCKOUT``
    (a locked account refuses even the right password until the lock expires)."""
    agent = sess.scalar(select(Agent).where(Agent.username == username))
    if agent is None or not agent.active:
        check_password_hash(_DUMMY_HASH, password)
        return SignIn(None)
    if agent.locked_until and agent.locked_until > now:
        return SignIn(None, locked=True)
    if not check_password_hash(agent.password_hash, password):
        agent.failed_logins += 1
        if agent.failed_logins >= MAX_FAILURES:
            agent.locked_until, agent.failed_logins = now + LOCKOUT, 0
            return SignIn(None, locked=True)
        return SignIn(None)
    agent.failed_logins, agent.locked_until = 0, None
    return SignIn(agent)


def reset_demo_supervisor(sessions: sessionmaker) -> tuple[str, str]:
    """For `make run`: the demo supervisor account with a fresh random password (printed in the banner)."""
    password = secrets.token_urlsafe(12)
    with sessions.begin() as sess:
        agent = sess.scalar(select(Agent).where(Agent.username == DEMO_SUPERVISOR))
        if agent is None:
            create(sess, DEMO_SUPERVISOR, password, "supervisor", "演示主管")
        else:
            agent.password_hash, agent.failed_logins, agent.locked_until, agent.active = (
                hash_password(password),
                0,
                None,
                True,
            )
    return DEMO_SUPERVISOR, password


def main(argv: list[str] | None = None) -> int:
    from common import settings
    from common.db import make_engine

    parser = argparse.ArgumentParser(prog="python -m web.console.accounts", description="Agent console accounts")
    sub = parser.add_subparsers(dest="command", required=True)
    new = sub.add_parser("create", help="create an account")
    new.add_argument("username")
    new.add_argument("--role", choices=ROLES, default="agent")
    new.add_argument("--name", help="name shown to colleagues and residents (default: the username)")
    new.add_argument("--group", help="the agent's group; created when new")
    new.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    args = parser.parse_args(argv)
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    sessions = sessionmaker(make_engine(settings.load().database_url), expire_on_commit=False)
    try:
        with sessions.begin() as sess:
            agent = create(sess, args.username, password, args.role, args.name, args.group)
            print(f"created {agent.role} {agent.username!r}" + (f" in group {args.group!r}" if args.group else ""))
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
