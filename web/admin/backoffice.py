"""The admin pages whose data the back-office holds (婚姻登记, 祭扫): one way for a form to write there.

A form's write is sent with who makes it (``X-Editor``, the signed-in account); a refusal is shown in the
back-office's own words, an unreachable back-office plainly; a write it took is an audit entry, and the staff member
is told what happened on the page they came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect
from flask_login import current_user

from common.backoffice_client import BackofficeClient, BackofficeError, BackofficeUnavailable
from common.db import session as db_session
from web.admin.audit import audit

DOWN = "业务系统暂时连不上，这次没有保存，请稍后再试。"


def client() -> BackofficeClient:
    return current_app.extensions["console"].backoffice


def editor() -> dict[str, str]:
    """The header naming the member of staff, for the back-office's own record."""
    return {"X-Editor": current_user.username}


def write(call: Callable[[BackofficeClient], dict], refused: str = "") -> dict | None:
    """One form's write to the back-office: its answer, or None with the reason shown (after ``refused``)."""
    try:
        return call(client())
    except BackofficeError as exc:
        flash(f"{refused}{exc.message}", "error")
    except BackofficeUnavailable:
        flash(DOWN, "error")
    return None


def done(back: str, action: str, told: str, **detail: Any):
    """A write the back-office took: audited (``action``, ``detail``), the staff member told ``told``, sent ``back``."""
    sess = db_session()
    audit(sess, action, **detail)
    sess.commit()
    flash(told, "info")
    return redirect(back)
