"""政策找人: policy rules over the resident registry, audiences, and push campaigns.

``init_app`` registers the template-message link and keeps what it and the admin pages
(``admin.bp``, registered with every admin page by ``web.admin.init_app``) use:
``PolicyDeps``, from the process's services (web/app.py). ``reply.rewrite`` is the routing
point's rewrite hook (see ``reply.py``), given to it in web/services.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Engine

from common.backoffice_client import BackofficeClient

STANDARDS_KEPT_SECONDS = 60


@dataclass
class PolicyDeps:
    registry: Engine
    backoffice: BackofficeClient | None
    links: Any
    enqueue: Callable[[str, list[Any]], None]  # the process's (web/services.py: the Celery app's)
    eligibility: Any = field(init=False)  # eligibility.Catalogue: each benefit's starting rule

    def __post_init__(self) -> None:
        from web.policy.eligibility import Catalogue

        self.eligibility = Catalogue(self.backoffice)

    _standards: tuple[float, dict[str, dict[str, int]]] | None = field(init=False, default=None)

    def standards(self, conn: Connection) -> dict[str, dict[str, int]]:
        """The district standards, read again after a minute (the audience count asks on every change)."""
        from web.policy import registry, standards

        if self._standards is None or time.monotonic() - self._standards[0] > STANDARDS_KEPT_SECONDS:
            found = standards.load(self.backoffice, list(registry.load_region(conn).district_names))
            self._standards = (time.monotonic(), found)
        return self._standards[1]


def init_app(app: Flask, deps: PolicyDeps) -> None:
    from web.policy import views

    app.extensions["policy"] = deps
    app.register_blueprint(views.bp)
