"""The admin pages for the bureau's staff (supervisors and administrators), under ``/admin/``.

The pages stay in their domain packages (``web/analytics``, ``web/policy/admin.py``,
``web/handbook``, ``web/review``, ``web/feedback``; the desk's canned replies, rules and
working hours in ``web/console/manage.py``) and share what this package gives them:

- :func:`blueprint` makes every admin blueprint, guarded as a whole (``guard.py``: signed
  in to the console, supervisor or administrator, CSRF token on every POST), with Chinese
  pages for a refused role and an expired form;
- one navigation: every page extends ``admin/base.html``; its menu is ``views.SECTIONS``,
  and ``/admin/`` (``views.py``) is the landing page listing them;
- Chinese names for flows, intents, handoff reasons (``labels.yml``, template filters
  ``flow_label``, ``intent_label`` …);
- the database session of the request, ``common.db.session()``, as in the console.

Templates live in ``web/templates/<package>/``.
"""
from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden

from web.admin import guard


def blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint of admin pages: every request passes the guard with the staff roles."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    guard.protect(bp, roles=guard.STAFF)
    bp.register_error_handler(Forbidden, _forbidden)
    bp.register_error_handler(CSRFError, _expired)
    return bp


def _forbidden(exc: Forbidden):
    return render_template("admin/message.html", title="没有权限", message=exc.description), 403


def _expired(_exc: CSRFError):
    return render_template("admin/message.html", title="页面已过期", message="页面已过期，请刷新后再提交。"), 400


def init_app(app: Flask) -> None:
    """The landing page ``/admin/``, the navigation every admin page shows, the Chinese labels.

    The domain packages register their own admin blueprints (made by :func:`blueprint`).
    """
    from web.admin import labels, views

    guard.init_app(app)
    labels.init_app(app)
    app.context_processor(views.navigation)
    app.register_blueprint(views.bp)
