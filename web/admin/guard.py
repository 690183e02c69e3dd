"""The one guard every staff page passes (the agent console's and the admin pages'):
signed in, the right role, a CSRF token on every state-changing request.

Sign-in itself is the console's (``web/console/auth.py``: Flask-Login, lockout, audit);
``/console/login`` is the door to ``/admin/`` too. The guard is installed on a whole
blueprint (:func:`protect`), so no view can forget it; :func:`requires` narrows a single
view to fewer roles (the console's administrator pages).

CSRF is Flask-WTF's ``CSRFProtect``, checked here rather than app-wide: the channels
(``/wechat``, ``/webhooks/rest/webhook``) are posted to by machines, not by a browser
session. The resident's pages with a form (the campaign link, the web chat's sign-out, the
real-name pages) call :func:`check_csrf`. Whatever is wrong with the token (missing, garbled,
older than ``WTF_CSRF_TIME_LIMIT``, from another session) is one answer, :class:`FormExpired`:
400 with a page that says "页面已过期，请重新打开" (``web/admin/expired.py``), never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from flask import Blueprint, Flask, abort, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import BadRequest
from wtforms import ValidationError

csrf = CSRFProtect()

LOGIN_ENDPOINT = "console.login"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STAFF = ("supervisor", "admin")  # who may open the admin pages
ROLE_NAMES = {"agent": "坐席", "supervisor": "主管", "admin": "管理员"}
STAFF_BLUEPRINTS: set[str] = set()  # every blueprint :func:`protect` guards: staff pages, not residents'


def init_app(app: Flask) -> None:
    """CSRF tokens for every form (``csrf_token()`` in templates), checked only where the guard asks."""
    if "csrf" in app.extensions:  # the console and the admin pages both ask for it
        return
    from web.admin import expired  # here: expired.py reads FormExpired and STAFF_BLUEPRINTS from this module

    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)
    app.register_error_handler(FormExpired, expired.answer)


class FormExpired(BadRequest):
    """A form came back without a valid CSRF token: the page is to be opened again (400).

    ``again``: what the resident should do, e.g. open the link in the message again."""

    def __init__(self, reason: str, again: str = "") -> None:
        super().__init__(reason)
        self.again = again


def check_csrf(again: str = "") -> None:
    """The request's CSRF token (form field ``csrf_token`` or header ``X-CSRFToken``), or :class:`FormExpired`.

    ``again``: what to tell a resident who has to open the page again (staff pages keep their own words).
    Flask-WTF raises ``CSRFError`` from ``protect`` and ``wtforms.ValidationError`` from ``validate_csrf``:
    both are the same answer here.
    """
    try:
        csrf.protect()
    except (CSRFError, ValidationError) as exc:
        raise FormExpired(str(exc.description if isinstance(exc, CSRFError) else exc), again) from exc


def forbidden(roles: Iterable[str]) -> None:
    abort(403, description=f"只有{'和'.join(ROLE_NAMES.get(r, r) for r in roles)}可以打开这个页面。")


def protect(
    bp: Blueprint, *, roles: tuple[str, ...] | None = None, public: Iterable[str] = (), no_redirect: Iterable[str] = ()
) -> None:
    """Guard every request to ``bp``: sign-in (except ``public`` endpoints), ``roles`` when given, CSRF.

    A visitor who is not signed in is sent to the login page when they open a page; a
    request for data (JSON, an event stream, the ``no_redirect`` endpoints) or a form post
    gets 401 instead. A signed-in account without the role gets 403; a state-changing
    request without a valid CSRF token gets 400.
    """
    public, no_redirect = frozenset(public), frozenset(no_redirect)
    STAFF_BLUEPRINTS.add(bp.name)

    @bp.before_request
    def guard():
        if request.endpoint in public:
            if request.method not in SAFE_METHODS:
                check_csrf()
            return None
        if not current_user.is_authenticated:
            wants_data = request.accept_mimetypes.best in ("application/json", "text/event-stream")
            if request.method == "GET" and not wants_data and request.endpoint not in no_redirect:
                return redirect(url_for(LOGIN_ENDPOINT, next=request.full_path.rstrip("?")))
            return {"error": "unauthorized", "message": "请先登录"}, 401
        if roles is not None and current_user.role not in roles:
            forbidden(roles)
        if request.method not in SAFE_METHODS:
            check_csrf()
        return None


def requires(*roles: str) -> Callable:
    """A view of a guarded blueprint that fewer roles may open."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                forbidden(roles)
            return view(*args, **kwargs)

        return wrapped

    return decorate
