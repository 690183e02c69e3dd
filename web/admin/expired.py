"""The one answer to a form that came back without a valid CSRF token (``guard.FormExpired``): 400 and a
page to open again, never a 500.

- A request for data (the console's ``fetch`` calls) gets JSON with a message the page shows; what the
  agent typed is still in the page.
- Staff on a page (every blueprint the guard protects) get the admin pages' message with what they had
  typed, to copy into the page opened again. It is shown, not sent again: a click must not make good a
  token that failed. The campaign form gives its whole form back itself (``web/policy/admin.py``).
- A resident (the campaign link, the web chat's sign-out, the real-name pages) gets a plain page:
  "页面已过期，请重新打开…", with what to open again.
"""

from __future__ import annotations

from flask import render_template, request

from web.admin import guard

RESIDENT = "页面已过期，请重新打开"
RESIDENT_AGAIN = "请回到原来的地方，重新打开这个页面再试一次。"
STAFF = "页面已过期，请重新打开这个页面后再提交。"
DATA = "页面已过期，请刷新页面后再试一次。"


def wants_data() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def typed() -> dict[str, str]:
    """What a staff member filled in, without the token and passwords."""
    return {
        k: v
        for k, v in request.form.items()
        if k != "csrf_token" and "password" not in k and isinstance(v, str) and v.strip()
    }


def answer(exc: guard.FormExpired):
    if wants_data():
        return {"error": "expired", "message": DATA}, 400
    if request.blueprint in guard.STAFF_BLUEPRINTS:
        return render_template("admin/message.html", title="页面已过期", message=STAFF, kept=typed()), 400
    return render_template("notice.html", message=RESIDENT, again=exc.again or RESIDENT_AGAIN), 400
