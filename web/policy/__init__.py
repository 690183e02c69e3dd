"""政策找人: policy rules over the resident registry, audiences, and push campaigns.

``init_app`` registers the admin pages, the template-message link and the consent
side effect; ``reply.rewrite`` is the routing point's rewrite hook (see ``reply.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import Flask
from sqlalchemy import Connection, Engine

from common import settings
from common.backoffice_client import BackofficeClient


def celery_enqueue(task: str, args: list[Any]) -> None:
    from web.worker import celery_app

    celery_app.send_task(task, args=args)


@dataclass
class PolicyDeps:
    registry: Engine
    backoffice: BackofficeClient | None
    links: Any
    enqueue: Callable[[str, list[Any]], None] = celery_enqueue

    def standards(self, conn: Connection) -> dict[str, dict[str, int]]:
        from web.policy import registry, standards

        return standards.load(self.backoffice, list(registry.load_region(conn).district_names))


def init_app(app: Flask, config: settings.Settings) -> None:
    from web.policy import admin, consent, links, registry, views  # noqa: F401  (consent registers its side effect)

    app.extensions["policy"] = PolicyDeps(registry.engine_for(config.registry_url),
                                          BackofficeClient(config.backoffice_url, config.backoffice_token),
                                          links.Links(config))
    app.register_blueprint(admin.bp)
    app.register_blueprint(views.bp)
