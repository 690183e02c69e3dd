"""docker-compose.yml: valid against the Compose specification and in step with `make run`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from common import settings
from tools import stack

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
PORT_KEYS = {
    "backoffice": "BACKOFFICE_PORT",
    "actions": "ACTIONS_PORT",
    "rasa": "RASA_PORT",
    "web": "WEB_PORT",
    "socketio": "SOCKETIO_PORT",
}
CODE_OF = {
    "web": "web",
    "socketio": "web",
    "worker": "web",
    "beat": "web",
    "actions": "actions",
    "backoffice": "backoffice",
}  # service → package
# A setting whose default only suits one developer's machine (localhost, SQLite, a "change-me"
# secret, nothing at all): a production service that reads it must set it.
SETTING_LINE = re.compile(r'^\s+(\w+)=.*?_env\("(\w+)", (.*)$', re.M)
DEV_DEFAULT = re.compile(r'127\.0\.0\.1|change-me|demo|dev-only|sqlite|DEV_SECRETS|^""')
PROPERTIES = {"registry_url": "registry_database_url"}  # Settings properties → their field


def test_compose_file_matches_the_published_compose_schema():
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_compose_file_is_rejected(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  web:\n    image: x\n    ports: 8000\n    healthcheck: {interval: 3}\n")
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(broken)], capture_output=True, text=True
    )
    assert result.returncode != 0


def _compose_command(service: str) -> str:
    command = COMPOSE["services"][service]["command"]
    assert command[:2] == ["sh", "-c"] and command[2].startswith("exec "), command
    return command[2].removeprefix("exec ").replace("$${", "${")


@pytest.mark.parametrize("name", sorted(stack.procfile()))
def test_every_procfile_process_is_a_compose_service_with_the_same_command(name):
    assert name in COMPOSE["services"], f"{name} runs under make run but not in docker-compose.yml"
    assert _compose_command(name) == stack.procfile()[name]


@pytest.mark.parametrize("name", sorted(stack.procfile()))
def test_every_variable_a_command_uses_is_set_in_its_service(name):
    env = COMPOSE["services"][name]["environment"]
    for var in re.findall(r"\$\{(\w+)\}", stack.procfile()[name]):
        assert var in env, f"{name} uses ${{{var}}} but docker-compose.yml does not set it"


@pytest.mark.parametrize("name,port_key", sorted(PORT_KEYS.items()))
def test_ports_are_the_documented_defaults(name, port_key):
    service = COMPOSE["services"][name]
    port = str(stack.DEFAULT_PORTS[port_key])
    assert service["environment"][port_key] == port
    published = [str(p).split(":")[-1] for p in service.get("ports", []) + service.get("expose", [])]
    assert port in published


def _dev_defaulted_settings() -> dict[str, str]:
    """Settings field → its environment variable, for the settings whose default is a developer's."""
    source = (ROOT / "common" / "settings.py").read_text()
    load = source[source.index("def load()") :]
    return {field: var for field, var, default in SETTING_LINE.findall(load) if DEV_DEFAULT.search(default)}


@pytest.mark.parametrize("name", sorted(CODE_OF))
def test_every_setting_a_service_reads_is_set_for_production(name):
    sources = "\n".join(path.read_text() for path in (ROOT / CODE_OF[name]).rglob("*.py"))
    read = {PROPERTIES.get(attr, attr) for attr in re.findall(r"(?:config|load\(\)|_config\(\))\.(\w+)", sources)}
    dev = _dev_defaulted_settings()
    assert {"database_url", "backoffice_url", "backoffice_token", "public_base_url"} <= set(dev)  # the parser sees them
    env = COMPOSE["services"][name]["environment"]
    missing = sorted(var for field, var in dev.items() if field in read and var not in env)
    assert not missing, f"{name} reads {missing} but docker-compose.yml leaves them at a developer's default"


def test_the_env_example_names_every_variable_compose_reads():
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / "deploy" / "env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    read = set(re.findall(r"\$\{(\w+):[?-]", (ROOT / "docker-compose.yml").read_text()))
    assert read and read == example, f"missing: {sorted(read - example)}, not read: {sorted(example - read)}"


def test_every_long_running_service_has_a_healthcheck():
    for name, service in COMPOSE["services"].items():
        if service.get("restart") == "no":
            continue
        assert "healthcheck" in service, f"{name} has no healthcheck"


def test_rasa_uses_redis_tracker_and_lock_stores_and_a_token():
    endpoints = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
    assert endpoints["tracker_store"]["type"] == "channels.platform_store.PlatformTrackerStore"  # Rasa's Redis store
    assert "class PlatformTrackerStore(RedisTrackerStore)" in (ROOT / "bot/channels/platform_store.py").read_text()
    assert endpoints["lock_store"]["type"] == "redis"
    assert "--auth-token" in stack.procfile()["rasa"]
    rasa_env = COMPOSE["services"]["rasa"]["environment"]
    for var in ("REDIS_HOST", "REDIS_PORT", "REDIS_DB", "REDIS_PASSWORD", "ACTIONS_URL"):
        assert var in rasa_env


def test_only_the_loopback_is_published():
    """The reverse proxy on the host is the way in (it keeps /console, /admin and /metrics to the
    bureau's network): a port published on every interface would go round it."""
    for name, service in COMPOSE["services"].items():
        for port in service.get("ports", []):
            spec = port if isinstance(port, str) else f"{port.get('host_ip', '')}:{port.get('published')}:"
            assert spec.startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"
    assert COMPOSE["services"]["web"]["ports"] == ["127.0.0.1:8000:8000"]


def test_rasa_and_the_action_server_share_the_actions_token_and_the_retention_period():
    services = COMPOSE["services"]
    assert services["rasa"]["environment"]["ACTIONS_TOKEN"] == services["actions"]["environment"]["ACTIONS_TOKEN"]
    assert services["rasa"]["environment"]["RETENTION_DAYS"] == services["web"]["environment"]["RETENTION_DAYS"]
    endpoints = (ROOT / "bot" / "endpoints.yml").read_text()
    assert "Bearer ${ACTIONS_TOKEN}" in endpoints and "record_exp" not in yaml.safe_load(endpoints)["tracker_store"]


def _factories():
    from actions.app import create_app as actions_app
    from backoffice.app import create_app as backoffice_app
    from web.app import create_app as web_app

    return {"web": web_app, "actions": actions_app, "backoffice": backoffice_app}


DEV_SECRET_VARS = [*settings.DEV_SECRETS, settings.DEV_FLAG]
IDP_KEY = os.environ["IDP_SIGNING_KEY"]  # the suite's (tests/conftest.py), so that no test writes one into var/


@pytest.fixture
def production_env(monkeypatch, tmp_path, redis_url):
    """A production-like environment: every secret unset, no development flag."""
    for var in DEV_SECRET_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'platform.db'}")
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", f"sqlite:///{tmp_path / 'backoffice.db'}")
    monkeypatch.setenv("REDIS_URL", redis_url)
    return monkeypatch


@pytest.mark.parametrize("process", ["web", "actions", "backoffice"])
def test_a_process_refuses_to_start_with_a_development_secret(production_env, process):
    with pytest.raises(settings.DevelopmentSecret) as refused:
        _factories()[process]()
    assert "CIVIC_DEV" in str(refused.value)
    named = {"web": "SECRET_KEY", "actions": "ACTIONS_TOKEN", "backoffice": "BACKOFFICE_TOKEN"}[process]
    assert named in str(refused.value)


@pytest.mark.parametrize("process", ["web", "actions", "backoffice"])
def test_a_process_refuses_one_secret_left_at_its_development_value(production_env, process):
    for var in settings.DEV_SECRETS:
        production_env.setenv(var, f"a-long-random-{var.lower()}")
    production_env.setenv("IDP_SIGNING_KEY", IDP_KEY)
    production_env.setenv("BACKOFFICE_TOKEN", settings.DEV_SECRETS["BACKOFFICE_TOKEN"])  # used by all three
    with pytest.raises(settings.DevelopmentSecret, match="^BACKOFFICE_TOKEN not set"):
        _factories()[process]()
    production_env.setenv("BACKOFFICE_TOKEN", "a-long-random-backoffice-token")
    assert _factories()[process]().name


@pytest.mark.parametrize("process", ["web", "actions", "backoffice"])
def test_a_process_starts_with_the_development_secrets_under_the_development_flag(production_env, process):
    production_env.setenv(settings.DEV_FLAG, "1")
    production_env.setenv("IDP_SIGNING_KEY", IDP_KEY)
    assert _factories()[process]().name


def test_the_worker_and_beat_refuse_a_development_secret_when_they_start(production_env):
    from web.worker import _configure, celery_app  # the receiver of Celery's on_configure (their start)

    with pytest.raises(settings.DevelopmentSecret, match="SECRET_KEY"):
        _configure(celery_app)
    production_env.setenv(settings.DEV_FLAG, "1")
    _configure(celery_app)
