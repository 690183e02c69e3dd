"""Fixtures for the assistance conversation tests: WeChat residents verified through the real sign-in, and a
back-office the outbox test can take down and bring back."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import Popen

import pytest
import requests
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from backoffice.residents.models import Resident, WechatBinding
from common.db import make_engine
from tests.benefits_api import actions_backoffice, backoffice  # noqa: F401  (the in-process back-office)
from tests.identity.wechat_signin import verify
from tools import stack


@pytest.fixture(scope="session")
def backoffice_db(live_stack) -> Iterator[Engine]:
    engine = make_engine(live_stack.env["BACKOFFICE_DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def platform_db(live_stack) -> Iterator[Engine]:
    engine = make_engine(live_stack.env["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture
def verified(live_stack, backoffice_db):
    """A new WeChat openid verified, through the real sign-in pages (tests/identity/wechat_signin.py), as an adult
    resident nobody is bound to yet; ``spouse=True``: a head of household whose household has a 配偶."""

    def _verified(prefix: str, spouse: bool = False) -> tuple[str, Resident]:
        with Session(backoffice_db) as sess:
            query = select(Resident).where(Resident.phone != "", Resident.id.not_in(select(WechatBinding.resident_id)))
            if spouse:
                query = query.where(
                    Resident.relation == "户主",
                    Resident.household_id.in_(select(Resident.household_id).where(Resident.relation == "配偶")),
                )
            resident = sess.scalars(query.order_by(Resident.id.desc()).limit(1)).one()
            sess.expunge(resident)
        openid = f"o{prefix}{uuid.uuid4().hex[:10]}"
        verify(live_stack, openid, resident)
        return openid, resident

    return _verified


def _children_serving(port: str, marker: str) -> list[int]:
    """This test session's own child processes running ``marker`` on ``port``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and marker in cmdline and f":{port} " in cmdline:
            found.append(int(entry.name))
    return found


@dataclass
class Backoffice:
    """The live stack's back-office process: stopped and started again by the outbox test."""

    env: dict[str, str]
    log_dir: Path
    replacement: Popen | None = field(default=None)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['BACKOFFICE_PORT']}"

    def stop(self) -> None:
        if self.replacement is not None:
            stack.stop_process(self.replacement)
            self.replacement = None
        else:
            pids = _children_serving(self.env["BACKOFFICE_PORT"], "backoffice.app:create_app")
            assert len(pids) == 1, f"expected the stack's one back-office process, found {pids}"
            os.killpg(pids[0], signal.SIGTERM)  # started with its own session: the group is the gunicorn master's
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/healthz", timeout=1)
            except requests.ConnectionError:
                return
            except requests.Timeout:  # still shutting down
                pass
            time.sleep(0.2)
        raise TimeoutError("the back-office did not stop")

    def start(self) -> None:
        self.replacement = stack.start_process("backoffice", self.env, self.log_dir)
        stack.wait_http(self.url + "/readyz", 60, self.replacement)


@pytest.fixture(scope="session")
def backoffice_process(live_stack) -> Iterator[Backoffice]:
    process = Backoffice(live_stack.env, live_stack.log_dir)
    yield process
    if process.replacement is not None:
        stack.stop_process(process.replacement)
