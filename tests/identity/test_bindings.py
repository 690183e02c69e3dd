"""Binding a sender to a resident rests on an ID token the back-office checks itself."""

from __future__ import annotations

import time

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.errors import ApiError
from backoffice.identity import bindings
from backoffice.identity.models import BindingEvent
from backoffice.residents.models import WechatBinding
from common.db import make_engine
from tests.identity.provider import CLIENT, ISSUER, id_token_for, make_provider, residents_with_phones


@pytest.fixture
def provider(tmp_path_factory):
    from tests.conftest import seeded_backoffice

    return make_provider(seeded_backoffice(tmp_path_factory, "bind"))


def _verifier(provider, audience: str = CLIENT.client_id) -> bindings.Verifier:
    return bindings.Verifier(KeySet.import_key_set(provider.config.public_keys()), ISSUER, audience)


def test_a_signed_in_resident_is_bound_and_binding_again_replaces_with_an_audit_trail(provider):
    first, second = residents_with_phones(provider.url, 2)
    with Session(make_engine(provider.url)) as sess:
        assert bindings.bind(sess, _verifier(provider), "oPhone1", id_token_for(provider, first)).id == first.id
        assert sess.get(WechatBinding, "oPhone1").resident_id == first.id
        bindings.bind(sess, _verifier(provider), "oPhone1", id_token_for(provider, second))
        assert sess.get(WechatBinding, "oPhone1").resident_id == second.id
        assert bindings.unbind(sess, "oPhone1") and sess.get(WechatBinding, "oPhone1") is None
        assert not bindings.unbind(sess, "oPhone1")
        trail = sess.execute(select(BindingEvent.resident_id, BindingEvent.action).order_by(BindingEvent.id)).all()
    assert trail == [(first.id, "bound"), (first.id, "unbound"), (second.id, "bound"), (second.id, "unbound")]


def _forged(provider, **claims) -> str:
    base = {"iss": ISSUER, "aud": CLIENT.client_id, "sub": "1", "exp": int(time.time()) + 300}
    base.update(claims)
    return jwt.encode({"alg": "RS256", "kid": provider.config.signing_key.kid}, base, provider.config.signing_key)


@pytest.mark.parametrize("case", ["other_key", "other_audience", "other_issuer", "expired", "garbage"])
def test_a_token_not_issued_for_this_platform_binds_nothing(provider, case):
    token = {
        "other_key": lambda: jwt.encode(
            {"alg": "RS256"},
            {"iss": ISSUER, "aud": CLIENT.client_id, "sub": "1", "exp": int(time.time()) + 300},
            RSAKey.generate_key(2048),
        ),
        "other_audience": lambda: _forged(provider, aud="another-app"),
        "other_issuer": lambda: _forged(provider, iss="https://elsewhere.test"),
        "expired": lambda: _forged(provider, exp=int(time.time()) - 10),
        "garbage": lambda: "not.a.token",
    }[case]()
    with Session(make_engine(provider.url)) as sess:
        bindings.bind(sess, _verifier(provider), "oControl", _forged(provider))
        with pytest.raises(ApiError) as refused:
            bindings.bind(sess, _verifier(provider), "oPhone2", token)
        assert refused.value.code == "invalid_id_token"
        assert sess.get(WechatBinding, "oPhone2") is None
