"""docker-compose.yml: valid against the Compose specification and in step with `make run`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools import stack

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
PORT_KEYS = {"backoffice": "BACKOFFICE_PORT", "actions": "ACTIONS_PORT", "rasa": "RASA_PORT", "web": "WEB_PORT"}
CODE_OF = {
    "web": "web",
    "worker": "web",
    "beat": "web",
    "actions": "actions",
    "backoffice": "backoffice",
}  # service → package
# A setting whose default only suits one developer's machine (localhost, SQLite, a "change-me"
# secret, nothing at all): a production service that reads it must set it.
SETTING_LINE = re.compile(r'^\s+(\w+)=.*?_env\("(\w+)", (.*)$', re.M)
DEV_DEFAULT = re.compile(r'127\.0\.0\.1|change-me|demo|dev-only|sqlite|^""')
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
