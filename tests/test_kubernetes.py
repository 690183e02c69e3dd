"""deploy/kubernetes/: valid against the Kubernetes schemas and in step with the Procfile and compose.

There is no kustomize on the test machine, so `build` assembles a kustomization itself; the
kustomizations hold only `resources`, which is all it understands (a test refuses any other field).
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from common import migrate, settings
from tests.test_deployment import (  # noqa: F401  (production_env is a fixture used below)
    CODE_OF,
    COMPOSE,
    PROPERTIES,
    _compose_command,
    _dev_defaulted_settings,
    production_env,
)
from tools import stack

ROOT = Path(__file__).resolve().parent.parent
KUBE = ROOT / "deploy" / "kubernetes"
BASE, WITH_BACKOFFICE = KUBE / "base", KUBE / "reference-backoffice"
VERSIONS = ["1.27.0", "1.33.0"]  # an older cluster a government cloud may still run, and a recent one
WORKLOADS = {"Deployment", "StatefulSet", "Job"}
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|_KEY$|DATABASE_URL|REDIS_URL")
# compose's literal values that differ on purpose: Redis is the cloud's, Rasa's replicas have stable names
DIFFERS_FROM_COMPOSE = {"REDIS_HOST", "REDIS_URL", "RASA_URL", "REDIS_PASSWORD"}
BUREAU_ONLY = ("/console", "/admin", "/metrics", "/healthz", "/readyz")  # docs/security.md, rule 3
HEALTH_SERVING = {"web", "socketio", "actions", "backoffice"}  # their apps register common/health.py's blueprint
APP_UID = 10001
SINGLE = {"beat", "socketio"}  # one replica each: a disruption budget would block every node drain


def build(directory: Path) -> list[dict[str, Any]]:
    """`kubectl kustomize directory` for kustomizations that only list resources."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    assert set(kustomization) <= {"apiVersion", "kind", "resources"}, f"{directory}: only resources is built here"
    documents: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        path = directory / resource
        documents += build(path) if path.is_dir() else [d for d in yaml.safe_load_all(path.read_text()) if d]
    return documents


DOCUMENTS = build(WITH_BACKOFFICE)
CONFIG = next(d for d in DOCUMENTS if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "civic-config")["data"]
SECRET_KEYS = {
    line.split("=", 1)[0]
    for line in (BASE / "secrets.env.example").read_text().splitlines()
    if line and not line.startswith("#")
}


def _of(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in DOCUMENTS if d["kind"] == kind}


def _workloads() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in DOCUMENTS if d["kind"] in WORKLOADS}


def _container(name: str) -> dict[str, Any]:
    (container,) = _workloads()[name]["spec"]["template"]["spec"]["containers"]
    return container


def _env(container: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Variable → (where from: config|secret|value, the key or value)."""
    env: dict[str, tuple[str, str]] = {}
    for source in container.get("envFrom", []):
        assert set(source) == {"configMapRef"} and source["configMapRef"]["name"] == "civic-config", source
        env |= {key: ("config", key) for key in CONFIG}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = ("value", item["value"])
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            assert ref["name"] == "civic-secrets", item
            env[item["name"]] = ("secret", ref["key"])
    return env


def _compose_env(service: str) -> dict[str, Any]:
    return COMPOSE["services"][service]["environment"]


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_is_valid_against_the_kubernetes_schemas_offline(version, no_network):
    assert len(DOCUMENTS) > 20
    for document in DOCUMENTS:
        kubernetes_validate.validate(document, version, strict=True)  # the schemas ship with the package


def test_a_broken_manifest_is_rejected(no_network):
    web = next(d for d in DOCUMENTS if d["kind"] == "Deployment" and d["metadata"]["name"] == "web")
    broken = yaml.safe_load(yaml.safe_dump(web))
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["pth"] = "/healthz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[0], strict=True)
    broken = yaml.safe_load(yaml.safe_dump(web))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[0], strict=True)


@pytest.mark.parametrize("directory", [BASE, WITH_BACKOFFICE], ids=["base", "reference-backoffice"])
def test_a_kustomization_lists_every_manifest_in_its_directory(directory):
    listed = set(yaml.safe_load((directory / "kustomization.yaml").read_text())["resources"])
    present = {p.name for p in directory.glob("*.yaml")} - {"kustomization.yaml"}
    assert present <= listed, f"not applied: {sorted(present - listed)}"
    names = [(d["kind"], d["metadata"]["name"]) for d in build(directory)]
    assert len(names) == len(set(names)), "a resource is defined twice"


@pytest.mark.parametrize("name", sorted(stack.procfile()))
def test_every_procfile_process_is_a_workload_with_the_same_command(name):
    assert name in _workloads(), f"{name} runs under make run but has no workload in deploy/kubernetes"
    assert _container(name)["command"] == ["sh", "-c", f"exec {stack.procfile()[name]}"]


def test_the_backoffice_is_only_in_the_optional_overlay():
    assert "backoffice" not in {d["metadata"]["name"] for d in build(BASE) if d["kind"] in WORKLOADS}


def test_the_migration_jobs_run_compose_migrate_for_every_tree():
    jobs = {name: w for name, w in _workloads().items() if w["kind"] == "Job"}
    trees: list[str] = []
    for name in jobs:
        command = _container(name)["command"]
        prefix = ["sh", "-c", _compose_command("migrate")]
        assert command[:2] == prefix[:2] and command[2].startswith("exec " + prefix[2] + " "), command
        trees += command[2].split()[4:]
        assert "envFrom" not in _container(name), "a migration needs only the Secret: it runs before the rest"
    assert sorted(trees) == sorted(migrate.TREES)


def _k8s_env_for(service: str) -> dict[str, tuple[str, str]]:
    if service == "migrate":  # one Job per tree
        return {
            k: v for name, w in _workloads().items() if w["kind"] == "Job" for k, v in _env(_container(name)).items()
        }
    return _env(_container(service))


@pytest.mark.parametrize("service", sorted(set(COMPOSE["services"]) - {"redis", "postgres"}))
def test_every_variable_compose_sets_is_set_from_the_configmap_or_the_secret(service):
    env = _k8s_env_for(service)
    missing = sorted(set(_compose_env(service)) - set(env))
    assert not missing, f"{service}: compose sets {missing}, deploy/kubernetes does not"
    for var, value in _compose_env(service).items():
        literal = str(value) if "${" not in str(value) else None
        if literal is None or var in DIFFERS_FROM_COMPOSE:
            continue
        source, key = env[var]
        got = CONFIG[key] if source == "config" else key
        assert source != "secret" and got == literal, f"{service}: {var} is {got!r} here, {literal!r} in compose"


@pytest.mark.parametrize("name", sorted(CODE_OF))
def test_every_setting_a_process_reads_is_set_for_production(name):
    sources = "\n".join(path.read_text() for path in (ROOT / CODE_OF[name]).rglob("*.py"))
    read = {PROPERTIES.get(attr, attr) for attr in re.findall(r"(?:config|load\(\)|_config\(\))\.(\w+)", sources)}
    env = _env(_container(name))
    missing = sorted(var for field, var in _dev_defaulted_settings().items() if field in read and var not in env)
    assert not missing, f"{name} reads {missing} but deploy/kubernetes leaves them at a developer's default"


def test_secrets_come_from_the_secret_and_nothing_else_does():
    assert not [key for key in CONFIG if SECRET_NAME.search(key)], "a secret in the ConfigMap"
    assert set(settings.DEV_SECRETS) <= SECRET_KEYS
    used: set[str] = set()
    for name in _workloads():
        for var, (source, key) in _env(_container(name)).items():
            if SECRET_NAME.search(var):
                assert source == "secret" and key == var, f"{name}: {var} is not from the Secret"
            if source == "secret":
                used.add(key)
    assert used == SECRET_KEYS, (
        f"not in secrets.env.example: {sorted(used - SECRET_KEYS)}, unused: {sorted(SECRET_KEYS - used)}"
    )
    assert not [d for d in DOCUMENTS if d["kind"] == "Secret"], "the Secret is the bureau's, not in the repository"


@pytest.mark.parametrize("name", sorted(_workloads()))
def test_every_pod_runs_unprivileged_with_resources(name):
    pod = _workloads()[name]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == APP_UID
    assert pod["automountServiceAccountToken"] is False
    container = _container(name)
    security = container["securityContext"]
    assert security["capabilities"]["drop"] == ["ALL"] and security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is (name != "rasa"), "only Rasa writes outside /tmp"
    if security["readOnlyRootFilesystem"]:
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert {"cpu", "memory"} <= set(container["resources"]["requests"]) and {"cpu", "memory"} <= set(
        container["resources"]["limits"]
    )


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "Dockerfile.rasa"])
def test_the_images_user_is_the_uid_the_pods_run_as(dockerfile):
    text = (ROOT / dockerfile).read_text()
    assert f"--uid {APP_UID}" in text and f"USER {APP_UID}" in text


def test_probes_use_healthz_and_readyz_where_the_process_serves_them():
    for name in HEALTH_SERVING:
        container = _container(name)
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for name, workload in _workloads().items():
        if workload["kind"] != "Job":
            assert "livenessProbe" in _container(name), f"{name} has no liveness probe"
    compose_rasa = COMPOSE["services"]["rasa"]["healthcheck"]["test"][-1]
    assert "127.0.0.1:5005/'" in compose_rasa and _container("rasa")["readinessProbe"]["httpGet"]["path"] == "/"


def _selects(selector: dict[str, Any], workload: dict[str, Any]) -> bool:
    labels = workload["spec"]["template"]["metadata"]["labels"]
    return all(labels.get(k) == v for k, v in selector["matchLabels"].items())


def test_disruption_budgets_and_autoscalers():
    workloads = {n: w for n, w in _workloads().items() if w["kind"] != "Job"}
    budgets = _of("PodDisruptionBudget").values()
    for name, workload in workloads.items():
        covered = [b for b in budgets if _selects(b["spec"]["selector"], workload)]
        assert len(covered) == (0 if name in SINGLE else 1), name
    scalers = {h["spec"]["scaleTargetRef"]["name"]: h for h in _of("HorizontalPodAutoscaler").values()}
    assert set(scalers) == {"web", "actions", "worker"}
    for scaler in scalers.values():
        assert scaler["apiVersion"] == "autoscaling/v2" and scaler["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert scaler["spec"]["minReplicas"] >= 2


def test_beat_is_exactly_one():
    beat = _workloads()["beat"]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"] == {"type": "Recreate"}


def test_rasa_has_stable_names_and_rasa_url_lists_every_replica():
    rasa = _workloads()["rasa"]
    assert rasa["kind"] == "StatefulSet"
    service = _of("Service")[rasa["spec"]["serviceName"]]
    assert service["spec"]["clusterIP"] == "None"
    port = CONFIG["RASA_PORT"]
    expected = [f"http://rasa-{i}.{service['metadata']['name']}:{port}" for i in range(rasa["spec"]["replicas"])]
    assert CONFIG["RASA_URL"].split(",") == expected


def test_postgres_and_redis_are_outside_the_cluster():
    assert not [w for w in _workloads() if w in ("postgres", "redis")]
    assert not [s for s in _of("Service") if s in ("postgres", "redis")]


def _public_paths() -> list[tuple[str, str]]:
    ingress = _of("Ingress")["web-public"]
    return [(p["path"], p["pathType"]) for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]


def _routed(url: str, paths: list[tuple[str, str]]) -> bool:
    return any(
        url == path if kind == "Exact" else url == path or url.startswith(path.rstrip("/") + "/")
        for path, kind in paths
    )


def test_the_public_ingress_routes_every_residents_path_and_no_bureau_path(production_env):  # noqa: F811
    from web.app import create_app

    production_env.setenv(settings.DEV_FLAG, "1")
    rules = {re.sub(r"<[^>]+>", "x", rule.rule) for rule in create_app().url_map.iter_rules()}
    public = _public_paths()
    for url in sorted(rules):
        bureau = url.startswith(BUREAU_ONLY)
        assert _routed(url, public) is not bureau, f"{url} is {'routed' if bureau else 'not routed'} to residents"
    policy = _of("NetworkPolicy")["default-deny-ingress"]
    assert policy["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}


def test_socket_io_goes_to_its_own_single_process_and_stays_there():
    """rasa-webchat's /socket.io reaches the socketio process (one gunicorn worker, SOCKETIO_CHANNEL=1),
    never web; a client's long-poll requests stay on one pod (docs/architecture.md, "The Socket.IO channel")."""
    command = stack.procfile()["socketio"]
    assert "--workers 1" in command and "--env SOCKETIO_CHANNEL=1" in command
    assert "SOCKETIO_CHANNEL" not in stack.procfile()["web"]
    backends = {
        p["path"]: p["backend"]["service"]["name"]
        for rule in _of("Ingress")["web-public"]["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    assert backends["/socket.io"] == "socketio"
    assert _routed("/socket.io/", _public_paths()) and _routed("/socket.io", _public_paths())
    assert all(name != "socketio" for path, name in backends.items() if path != "/socket.io")
    socketio = _workloads()["socketio"]
    service = _of("Service")["socketio"]
    assert socketio["spec"]["replicas"] == 1 and service["spec"]["sessionAffinity"] == "ClientIP"
    assert service["spec"]["ports"][0]["port"] == int(CONFIG["SOCKETIO_PORT"])
    assert _selects({"matchLabels": service["spec"]["selector"]}, socketio)
    assert "socketio" not in {h["spec"]["scaleTargetRef"]["name"] for h in _of("HorizontalPodAutoscaler").values()}
