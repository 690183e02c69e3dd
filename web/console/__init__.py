"""The hotline agent console at ``/console/`` (docs/handoff.md).

One blueprint, a module per concern: ``auth`` (sign-in, lockout; every console request
passes the staff pages' one guard, ``web/admin/guard.py``), ``views`` (queue and
conversation), ``stream`` (server-sent events), ``manage`` (canned replies, rules, working
hours: pages in the admin navigation), ``supervisor`` (figures and chart); ``accounts`` is
also the command line that creates accounts. What the console talks to (Rasa's HTTP API,
the back-office, the desk's event publisher) is built by web/services.py and given to
:func:`init_app`.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import sessionmaker

from web.admin import guard, labels
from web.console.blueprint import bp
from web.console.services import ConsoleServices
from web.handoff.events import Publisher


def init_app(app: Flask, services: ConsoleServices, desk_events: Publisher, sessions: sessionmaker) -> None:
    """The console's routes; ``desk_events`` publishes what the desk's commits on ``sessions`` changed."""
    from web.console import auth, documents, manage, reach, stream, supervisor, views  # noqa: F401  (routes register on import)

    guard.init_app(app)  # CSRF tokens, checked by the staff pages' guard (web/admin/guard.py), not app-wide
    labels.init_app(app)  # the handoff reasons' Chinese names (reason_label), as on the admin pages
    auth.login_manager.init_app(app)
    desk_events.install(sessions)
    app.extensions["console"] = services
    app.register_blueprint(bp)
