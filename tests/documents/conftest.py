"""Documents by photo, end to end in one process: the real web app served on a loopback port, the
WeChat stand-in as WeChat (it sends the image messages and serves their media), the real back-office
app on a seeded SQLite database with one verified resident and their 低保 application, SQLite for
the platform, the suite's Redis. Rasa is never reached: a photo is answered by the platform."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common import settings
from common.db import make_engine
from common.migrate import upgrade
from tests.admin.conftest import PASSWORD
from tests.assistance.conftest import backoffice_db, platform_db, verified  # noqa: F401  (the live stack's)
from tests.conftest import seeded_backoffice
from tests.serving import base_url, serve
from tools.wechat_standin import WechatStandin
from web.console import accounts

TOKEN, APP_ID, APP_SECRET, BO_TOKEN = "doc-token", "wx_documents", "documents-secret", "documents-bo-token"
MAX_BYTES = 20_000  # DOCUMENT_MAX_BYTES for these tests: small, so "too large" is cheap to send
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class DocumentStack:
    app: Flask
    standin: WechatStandin
    sessions: sessionmaker  # the platform database
    backoffice_sessions: sessionmaker
    store_dir: Path
    taken: Iterator[int] = dataclasses.field(default_factory=itertools.count)  # one resident of the registry each

    def resident(self, case_no: str | None = None, programme: str = "低保", sender: str = "") -> tuple[str, str]:
        """A new openid (or ``sender``) bound to a resident of the registry; with an open application
        of ``programme`` (its case number) unless ``case_no`` is ""."""
        from backoffice.assistance.models import Application
        from backoffice.residents.models import Resident, WechatBinding

        openid = sender or "o" + uuid.uuid4().hex[:27]
        with self.backoffice_sessions.begin() as sess:
            resident = sess.scalars(select(Resident).order_by(Resident.id.desc()).offset(next(self.taken))).first()
            sess.add(WechatBinding(openid=openid, resident_id=resident.id))
            if case_no == "":
                return openid, ""
            case_no = case_no or "JZ" + uuid.uuid4().hex[:13].upper()
            sess.add(
                Application(
                    case_no=case_no,
                    idempotency_key=uuid.uuid4().hex,
                    type=programme,
                    applicant_id_number=f"X{uuid.uuid4().hex[:17]}",  # not the resident's: one case per test
                    relation="本人",
                    phone="13800000000",
                    community_code=resident.hukou_community_code,
                    hardship="看病花钱多",
                    consent_at=datetime.now(),
                    submitted_by_resident_id=resident.id,
                    channel="wechat",
                )
            )
        return openid, case_no


@pytest.fixture(scope="module")
def documents_stack(tmp_path_factory, redis_url) -> Iterator[DocumentStack]:
    from backoffice.app import create_app as backoffice_app
    from web.app import create_app

    work = tmp_path_factory.mktemp("documents")
    bo_url = seeded_backoffice(tmp_path_factory, "documents_bo")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BACKOFFICE_DATABASE_URL", bo_url)
        env.setenv("BACKOFFICE_TOKEN", BO_TOKEN)
        backoffice = serve(backoffice_app(settings.load()))
    standin = WechatStandin("http://127.0.0.1:9/wechat", TOKEN, APP_ID, APP_SECRET, mode="plain", retries=0)
    wechat = serve(standin.app)
    db_url = f"sqlite:///{work / 'platform.db'}"
    upgrade("platform", db_url)
    sessions = sessionmaker(make_engine(db_url), expire_on_commit=False)
    with sessions.begin() as sess:
        accounts.create(sess, "agent", PASSWORD, "agent", "小王")
        accounts.create(sess, "boss", PASSWORD, "supervisor", "李主管")
    config = dataclasses.replace(
        settings.load(),
        database_url=db_url,
        redis_url=redis_url,
        rasa_urls=("http://127.0.0.1:9",),
        backoffice_url=base_url(backoffice),
        backoffice_token=BO_TOKEN,
        secret_key="documents-secret-key",
        wechat_token=TOKEN,
        wechat_app_id=APP_ID,
        wechat_app_secret=APP_SECRET,
        wechat_encoding_aes_key="",
        wechat_api_base=base_url(wechat),
        document_store=str(work / "store"),
        document_max_bytes=MAX_BYTES,
        log_level="CRITICAL",
    )
    app = create_app(config)
    app.config["TESTING"] = True
    web = serve(app)
    standin.callback_url = f"{base_url(web)}/wechat"
    try:
        yield DocumentStack(
            app, standin, sessions, sessionmaker(make_engine(bo_url), expire_on_commit=False), work / "store"
        )
    finally:
        for server in (web, wechat, backoffice):
            server.shutdown()
