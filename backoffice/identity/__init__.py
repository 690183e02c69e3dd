"""Identity: the stand-in for the city's unified identity service, and binding senders to residents.

* ``provider*`` — an OpenID Connect provider (authorization code + PKCE, ID tokens signed with
  a published key) that verifies a resident by name, ID number and a one-time code texted to
  the phone the resident registry holds (``signin``, ``sms``). It stands in for the city's
  provider (in Shanghai 一网通办 统一身份认证); in production the platform signs residents in
  there instead, and only configuration changes (docs/identity.md).
* ``routes`` / ``bindings`` — the back-office API that binds a sender to the resident an ID
  token names, after checking the token itself.
"""

from __future__ import annotations

from flask import Flask
from joserfc.jwk import KeySet

from common.settings import Settings


def init_app(app: Flask, config: Settings) -> None:
    from backoffice.identity import bindings, keys, provider_routes, routes
    from backoffice.identity.provider import Client, ProviderConfig

    key = keys.signing_key(config.idp_signing_key)
    platform = Client(
        config.oidc_client_id, config.oidc_client_secret, (config.public_base_url + "/identity/callback",)
    )
    provider = ProviderConfig(config.idp_issuer, key, (platform,))
    provider_routes.init_app(app, provider, sms_demo=config.demo_mode)
    app.extensions["identity_verifier"] = bindings.Verifier(
        KeySet.import_key_set(provider.public_keys()), config.idp_issuer, config.oidc_client_id
    )
    app.register_blueprint(routes.bp)
