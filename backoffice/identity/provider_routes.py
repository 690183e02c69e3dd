"""The identity provider's HTTP face: discovery, keys, the sign-in pages, the token endpoint.

The sign-in takes two pages at the authorization endpoint: name and ID number (a code is
texted to the registry's phone), then the code; success redirects to the relying party with
an authorization code. Which step a browser is at lives in its session cookie, never in a
form field, so a page cannot be posted on someone else's behalf with a code meant for them.
"""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request
from flask import session as browser
from sqlalchemy import select

from backoffice.identity import signin
from backoffice.identity.models import SmsMessage
from backoffice.identity.provider import ProviderConfig, discovery_document, make_server
from backoffice.identity.sms import StandinSms
from common.db import session
from common.masking import mask_phone

bp = Blueprint("identity_provider", __name__, url_prefix="/idp", template_folder="templates")
CHALLENGE = "idp_challenge"


def _config() -> ProviderConfig:
    return current_app.extensions["idp_config"]


def _server() -> AuthorizationServer:
    return current_app.extensions["idp_server"]


def _demo() -> bool:
    return current_app.extensions["idp_sms_demo"]


@bp.get("/.well-known/openid-configuration")
def discovery():
    return jsonify(discovery_document(_config()))


@bp.get("/jwks.json")
def jwks():
    return jsonify(_config().public_keys())


@bp.route("/authorize", methods=["GET", "POST"])
def authorize():
    try:
        grant = _server().get_consent_grant(end_user=None)
    except OAuth2Error as error:
        # A request the provider cannot trust to redirect (unknown client, wrong redirect_uri):
        # RFC 6749 4.1.2.1 says show the error here, never redirect.
        return render_template("identity/error.html", error=error.error), 400
    step = request.form.get("step", "start") if request.method == "POST" else "start"
    try:
        if step == "identify":
            sent = signin.send_code(
                session(), StandinSms(session()), request.form.get("name", ""), request.form.get("id_number", "")
            )
            browser[CHALLENGE] = sent.challenge
            return render_template("identity/code.html", masked_phone=sent.masked_phone, demo=_demo())
        if step == "verify":
            resident = signin.check_code(session(), browser.get(CHALLENGE, ""), request.form.get("code", ""))
            browser.pop(CHALLENGE, None)
            return _server().create_authorization_response(grant_user=resident, grant=grant)
    except signin.SigninRefused as refused:
        if not refused.restart:
            return render_template("identity/code.html", error=refused.message, demo=_demo()), 400
        browser.pop(CHALLENGE, None)
        return render_template("identity/start.html", error=refused.message, name=request.form.get("name", "")), 400
    return render_template("identity/start.html")


@bp.post("/token")
def token():
    return _server().create_token_response()


@bp.get("/sms")
def sms_demo():
    """The SMS stand-in's outbox, for trying the demo region (never served otherwise)."""
    if not _demo():
        abort(404)
    texts = session().scalars(select(SmsMessage).order_by(SmsMessage.id.desc()).limit(20)).all()
    return render_template("identity/sms.html", texts=[(mask_phone(t.phone), t.text, t.sent_at) for t in texts])


def init_app(app: Flask, config: ProviderConfig, sms_demo: bool) -> None:
    """The provider on ``app`` (which owns a `common.db.Database` and a SECRET_KEY) under /idp."""
    app.extensions["idp_config"] = config
    app.extensions["idp_server"] = make_server(app, config)
    app.extensions["idp_sms_demo"] = sms_demo
    app.register_blueprint(bp)
