"""Who may open the analytics, review and 好差评 pages: the console's supervisor and admin accounts.

Sign-in is the agent console's (web/console: Flask-Login, roles, lockout, audit); a
visitor who is not signed in is sent to its login page, an agent gets 403.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import current_app
from flask_login import current_user

ROLES = ("supervisor", "admin")


def reviewer_name() -> str:
    """The signed-in reviewer, for the review inbox's ``reviewed_by``."""
    return current_user.username


def supervisor_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if current_user.role not in ROLES:
            return "只有主管和管理员可以查看这个页面。", 403
        return view(*args, **kwargs)

    return wrapped
