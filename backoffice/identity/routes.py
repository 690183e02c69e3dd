"""The identity API: bind a sender to the resident who signed in, look a binding up, unbind."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify, request

from backoffice import contract
from backoffice.errors import ApiError
from backoffice.identity import bindings, schemas
from backoffice.identity.clock import utcnow
from backoffice.residents.models import Resident, WechatBinding
from backoffice.residents.registry import current_binding
from common.db import session
from common.masking import mask_name

bp = Blueprint("identity", __name__)
NOT_BOUND = ApiError(404, "not_bound", "这个微信号还没有实名绑定")


def _verifier() -> bindings.Verifier:
    return current_app.extensions["identity_verifier"]


def _binding_json(binding: WechatBinding, resident: Resident) -> dict:
    return {
        "sender": binding.openid,
        "resident_id": resident.id,
        "masked_name": mask_name(resident.name),
        "bound_at": binding.bound_at.isoformat(),
        "expires_at": binding.expires_at.isoformat() if binding.expires_at else None,
        "method": "sms_otp",
    }


@bp.post("/identity/bindings")
@contract.operation(
    "Bind a sender to the resident an ID token names (实名绑定). The token is checked here: signed by the identity "
    "provider, issued to the platform, not expired. A sender holds one resident: binding again replaces.",
    body=schemas.BindRequest,
    responses={201: ("bound", schemas.Binding)},
    errors={400: "`invalid_id_token`: not a valid token from the provider for the platform; `invalid_request`"},
)
def bind():
    body = request.get_json(silent=True) or {}
    sender, id_token, lifetime = body.get("sender"), body.get("id_token"), body.get("lifetime_seconds")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > 64 or not isinstance(id_token, str):
        raise ApiError(400, "invalid_request", "缺少发送者或认证凭证")
    if lifetime is not None and (
        type(lifetime) is not int or not schemas.MIN_LIFETIME <= lifetime <= schemas.MAX_LIFETIME
    ):
        raise ApiError(400, "invalid_request", "认证的有效时长不正确")
    sess = session()
    resident = bindings.bind(
        sess, _verifier(), sender, id_token, timedelta(seconds=lifetime) if lifetime is not None else None
    )
    return jsonify(_binding_json(sess.get(WechatBinding, sender), resident)), 201


@bp.get("/identity/bindings/<sender>")
@contract.operation(
    "Whether a sender is bound, to whom (masked) and how",
    path={"sender": "the sender id"},
    responses={200: ("the binding", schemas.Binding)},
    errors={404: "`not_bound`"},
)
def binding(sender: str):
    sess = session()
    found = current_binding(sess, sender, utcnow())
    if found is None:
        raise NOT_BOUND
    return jsonify(_binding_json(found, sess.get(Resident, found.resident_id)))


@bp.delete("/identity/bindings/<sender>")
@contract.operation(
    "Unbind a sender (解除绑定); the resident signs in again to bind",
    path={"sender": "the sender id"},
    responses={204: ("unbound", None)},
    errors={404: "`not_bound`"},
)
def unbind(sender: str):
    if not bindings.unbind(session(), sender):
        raise NOT_BOUND
    return "", 204
