"""The routing point's own cost per message, with a bot that answers at once: ``Router.answer``
(what the resident waits for) and the ``record`` it leaves for after the reply.

Everything real but Rasa: PostgreSQL (a fresh database migrated by the real Alembic tree),
the campaigns' rewrite hook, the desk's intake, analytics recording, the review inbox. The
bot is an in-process stand-in returning one line and an understanding, so the figure is
what the web process adds to every message before and after Rasa. Results: docs/performance.md.

    .venv/bin/python -m bench.routing_point [--messages 600] [--pg postgresql://127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from common.db import Database, normalise_url
from common.migrate import upgrade
from web.analytics import recording
from web.conversations.router import Inbound, Router
from web.identity.links import BindingLinks
from web.rasa_client import BotMessage, BotTurn
from web.services import router as platform_router
from web.services import side_effects as platform_side_effects

RESIDENTS = 20

EFFECTS = platform_side_effects(BindingLinks("http://platform.test", "test-secret"))  # as web/services.py gives them


class InstantBot:
    def exchange(
        self, sender_id: str, message: str, metadata: dict[str, Any] | None = None, timeout: float | None = None
    ) -> BotTurn:
        return BotTurn(
            [BotMessage(text="您好！我是民政局的智能小助手。")],
            {"intent": "greet", "confidence": 0.99, "entities": [], "fallback": False, "flows": []},
        )


@contextmanager
def fresh_router(server: str) -> Iterator[tuple[Router, Database, list[str]]]:
    """The routing point as web/services.py builds it, with the instant bot, on a fresh database on
    ``server`` (dropped after); and ``RESIDENTS`` senders whose conversations exist, as for
    residents already talking."""
    server = normalise_url(server)
    name = f"civic_bench_router_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        upgrade("platform", url)
        database = Database(url)
        recording.listen(database.sessions)  # as web/app.py does
        router = platform_router(database.sessions, InstantBot(), EFFECTS)  # as web/services.py builds it
        senders = [f"oBenchRouter{i:02d}" for i in range(RESIDENTS)]
        for sender in senders:
            router.handle(Inbound("wechat", sender, "你好"))
        yield router, database, senders
        database.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure(server: str, messages: int = 600) -> tuple[list[float], list[float]]:
    """Milliseconds per ``Router.answer`` and per its ``record``, sorted, for ``messages``
    messages in a fresh database on ``server``."""
    with fresh_router(server) as (router, _database, senders):
        answering, after = [], []
        for i in range(messages):
            started = time.perf_counter()
            answer = router.answer(Inbound("wechat", senders[i % RESIDENTS], "你好"))
            answered = time.perf_counter()
            answer.record()
            answering.append((answered - started) * 1000)
            after.append((time.perf_counter() - answered) * 1000)
    return sorted(answering), sorted(after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--pg", default="postgresql://127.0.0.1:5432/test")
    args = parser.parse_args()
    answering, recorded = measure(args.pg, args.messages)
    print(f"instant bot, PostgreSQL, {args.messages} messages over {RESIDENTS} residents:")
    for name, times in (("Router.answer (before the reply)", answering), ("Answer.record (after it)", recorded)):
        print(f"  {name}: median {statistics.median(times):.2f} ms, p95 {times[int(len(times) * 0.95)]:.2f} ms")


if __name__ == "__main__":
    main()
