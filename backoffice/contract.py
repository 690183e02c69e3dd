"""The back-office's OpenAPI document, generated from the routes (apispec + marshmallow).

Each route declares its operation with :func:`operation` next to its code: a summary, its
query parameters and request body as marshmallow schemas, its answers (a schema per status)
and its refusals (status → which ``error`` codes). :func:`build` walks the app's URL map, so
a route without a declaration fails the build, and path parameters come from the rule itself.
The routes do not validate with these schemas (they keep their own refusals and codes);
``tests/integration/test_openapi_contract.py`` checks that the two agree.

``python -m backoffice.contract`` rewrites the checked-in copy, ``backoffice/openapi.json``,
which a bureau reads in the repository; ``GET /openapi.json`` serves the generated document.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask
from marshmallow import EXCLUDE, Schema, fields

CHECKED_IN = Path(__file__).with_name("openapi.json")
TITLE = "民政 back-office API (reference implementation)"
VERSION = "0.1.0"
DESCRIPTION = (
    "The contract the assistant's actions speak to. A bureau's real systems implement the same paths; "
    "every call but health and this document needs `Authorization: Bearer <BACKOFFICE_TOKEN>`. "
    'Errors are `{"error": <machine code>, "message": <Chinese text a resident can read>}`.'
)
PATH_CONVERTERS = {"integer": {"type": "integer"}, "float": {"type": "number"}}


class Error(Schema):
    """Every refusal (4xx): a machine code and Chinese text a resident can read; a few carry more
    (eldercare's already_applied: ``reference``)."""

    error = fields.String(required=True)
    message = fields.String(required=True)
    reference = fields.String(metadata={"description": "already_applied: the application in progress"})


class Location(Schema):
    """GCJ-02 coordinates"""

    lat = fields.Float()
    lng = fields.Float()


class Request(Schema):
    """A request body or query: fields the route does not know are ignored, not refused."""

    class Meta:
        unknown = EXCLUDE


def idempotency_key(max_length: int, required: bool, description: str) -> dict[str, Any]:
    return {
        "name": "Idempotency-Key",
        "in": "header",
        "required": required,
        "schema": {"type": "string", "maxLength": max_length},
        "description": description,
    }


def operation(
    summary: str,
    *,
    query: type[Schema] | None = None,
    path: dict[str, str] | None = None,
    headers: list[dict[str, Any]] | None = None,
    body: type[Schema] | Schema | dict | None = None,
    responses: dict[int, tuple[str, type[Schema] | Schema | dict | None]],
    errors: dict[int, str] | None = None,
    public: bool = False,
) -> Callable:
    """Declare a route's operation. ``responses``: status → (description, schema or None); ``errors``:
    status → description of the refusals (``Error`` bodies); ``path``: descriptions of the rule's
    arguments; ``public``: no token needed."""

    def declare(view: Callable) -> Callable:
        view.openapi = {
            "summary": summary,
            "query": query,
            "path": path or {},
            "headers": headers or [],
            "body": body,
            "responses": responses,
            "errors": errors or {},
            "public": public,
        }
        return view

    return declare


def _content(schema: Any) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operation(rule, declared: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": declared["summary"]}
    if declared["public"]:
        op["security"] = []
    parameters = []
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__.removesuffix("Converter").lower()
        parameters.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": PATH_CONVERTERS.get(converter, {"type": "string"}),
                **({"description": declared["path"][name]} if name in declared["path"] else {}),
            }
        )
    if declared["query"] is not None:
        parameters.append({"in": "query", "schema": declared["query"]})
    parameters += declared["headers"]
    if parameters:
        op["parameters"] = parameters
    if declared["body"] is not None:
        op["requestBody"] = {"required": True, "content": _content(declared["body"])}
    responses: dict[str, Any] = {}
    for status, (description, schema) in declared["responses"].items():
        responses[str(status)] = {
            "description": description,
            **({"content": _content(schema)} if schema is not None else {}),
        }
    if not declared["public"]:
        declared["errors"].setdefault(401, "`unauthorized`: no or wrong token")
    for status, description in sorted(declared["errors"].items()):
        responses[str(status)] = {"description": description, "content": _content(Error)}
    op["responses"] = responses
    return op


# Routes the back-office does not define itself (common/health.py, common/metrics.py, the app factory).
SHARED = {
    "health.healthz": operation("Liveness", responses={200: ("alive", None)}, public=True)(lambda: None).openapi,
    "health.readyz": operation(
        "Readiness (database reachable)",
        responses={200: ("ready", None), 503: ("a dependency is down", None)},
        public=True,
    )(lambda: None).openapi,
    "metrics": operation(
        "Prometheus metrics (requests, latencies) in the text exposition format",
        responses={200: ("metrics", None)},
        public=True,
    )(lambda: None).openapi,
}


# The identity provider stand-in speaks OpenID Connect, described by its own discovery document
# (/idp/.well-known/openid-configuration), not by this contract: in production it is the city's.
PROVIDER = "identity_provider."


def build(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of ``app``: every rule of its URL map (``static`` aside) must be declared."""
    spec = APISpec(
        TITLE,
        VERSION,
        "3.1.0",
        info={"description": DESCRIPTION},
        plugins=[FlaskPlugin(), MarshmallowPlugin()],
        security=[{"bearer": []}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=Error)
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith(PROVIDER):
            continue
        view = app.view_functions[rule.endpoint]
        declared = getattr(view, "openapi", None) or SHARED.get(rule.endpoint)
        if declared is None:
            undeclared.append(f"{rule.endpoint} {rule.rule}")
            continue
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        spec.path(view=view, app=app, operations={m.lower(): _operation(rule, declared) for m in methods})
    if undeclared:
        raise LookupError(
            "routes without an OpenAPI declaration (backoffice.contract.operation): " + ", ".join(undeclared)
        )
    return spec.to_dict()


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def main() -> int:
    """Rewrite ``backoffice/openapi.json`` from the routes (``python -m backoffice.contract``)."""
    from backoffice.app import create_app

    CHECKED_IN.write_text(dumps(build(create_app())), encoding="utf-8")
    print(f"wrote {CHECKED_IN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
