"""政策找人: policy rules over the resident registry, audiences, and push campaigns.

``init_app`` registers the template-message link and keeps what it and the admin pages
(``admin.bp``, registered with every admin page by ``web.admin.init_app``) use:
``PolicyDeps``, from the process's services (web/app.py). ``reply.rewrite`` is the routing
point's rewrite hook (see ``reply.py``), given to it in web/services.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Engine

from common.backoffice_client import BackofficeClient


@dataclass
class PolicyDeps:
    registry: Engine
    backoffice: BackofficeClient | None
    links: Any
    enqueue: Callable[[str, list[Any]], None]  # the process's (web/services.py: the Celery app's)

    def standards(self, conn: Connection) -> dict[str, dict[str, int]]:
        from web.policy import registry, standards

        return standards.load(self.backoffice, list(registry.load_region(conn).district_names))


def init_app(app: Flask, deps: PolicyDeps) -> None:
    from web.policy import views

    app.extensions["policy"] = deps
    app.register_blueprint(views.bp)
