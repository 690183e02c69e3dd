"""The admin pages for the bureau's staff (supervisors and administrators), under ``/admin/``.

The pages stay in their domain packages (``web/analytics``, ``web/policy/admin.py``,
``web/handbook``, ``web/review``, ``web/feedback``; the desk's canned replies, rules and
working hours in ``web/console/manage.py``) and share what this package gives them:

- :func:`blueprint` makes every admin blueprint, guarded as a whole (``guard.py``: signed
  in to the console, supervisor or administrator, CSRF token on every POST), with a Chinese
  page for a refused role (an expired form has one answer for every page: ``expired.py``);
- one navigation: every page extends ``admin/base.html``; its menu is ``views.SECTIONS``,
  and ``/admin/`` (``views.py``) is the landing page listing them, with what waits for
  staff in each section as the features tell it (:class:`Waiting`, given at wiring time);
- Chinese names for flows, intents, handoff reasons (``labels.yml``, template filters
  ``flow_label``, ``intent_label`` …);
- the database session of the request, ``common.db.session()``, as in the console.

Templates live in ``web/templates/<package>/``. This package is below the features: it
imports none of them. Every admin page is registered in one place, :func:`init_app`'s list
in ``create_app`` (web/app.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Blueprint, Flask, render_template
from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden

from web.admin import guard


@dataclass(frozen=True)
class Waiting:
    """What waits for staff in one section, shown beside it on the landing page ("3 条待审核")."""

    endpoint: str  # the section's endpoint (``views.SECTIONS``)
    count: Callable[[Session], int]  # how many, read in the request's session
    text: str  # what follows the number


def blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint of admin pages: every request passes the guard with the staff roles."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    guard.protect(bp, roles=guard.STAFF)
    bp.register_error_handler(Forbidden, _forbidden)
    return bp


def _forbidden(exc: Forbidden):
    return render_template("admin/message.html", title="没有权限", message=exc.description), 403


def init_app(app: Flask, pages: Iterable[Blueprint], waiting: Iterable[Waiting] = ()) -> None:
    """The landing page ``/admin/``, the navigation every admin page shows, the Chinese labels,
    and every admin page (``pages``: blueprints made by :func:`blueprint` in the domain packages).

    ``waiting``: what each feature counts for the landing page.
    """
    from web.admin import labels, views

    guard.init_app(app)
    labels.init_app(app)
    app.context_processor(views.navigation)
    app.extensions["admin_waiting"] = tuple(waiting)
    app.register_blueprint(views.bp)
    for page in pages:
        app.register_blueprint(page)
