"""Verifying a bearer JWT into a ``Principal``.

Checked: the algorithm is allowed (never ``none``; HS256 only in local/test), the key is trusted, the signature,
``exp`` (required), ``nbf``, ``iss``, ``aud``; then the claims: a known ``role``, bounded ids, and the scope the
role needs (a doctor token without ``doctor_id`` is refused, not guessed). Machines and people use different
audiences, and ``role=integration`` must come with the integration audience, so a person's token can never
be replayed against an integration route and the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

from libs.auth.principal import Principal, Role
from services.gateway.auth.errors import TokenRejected
from services.gateway.auth.keys import KeyRing
from services.gateway.settings import GatewaySettings

MAX_TOKEN_BYTES = 8192
_MAX_ID = 128
SCOPE_CLAIMS = ("alliance_id", "institution_id", "region_code", "doctor_id")
# The scope a role cannot do without: without it, object-level checks in the services would have nothing to compare.
REQUIRED_SCOPE = {
    Role.DOCTOR: "doctor_id",
    Role.UNIT_ADMIN: "institution_id",
    Role.ALLIANCE_OFFICE: "alliance_id",
    Role.HEALTH_COMMISSION: "region_code",
}
_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "not_yet_valid"),
    (jwt.InvalidAudienceError, "wrong_audience"),
    (jwt.InvalidIssuerError, "wrong_issuer"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
    (jwt.InvalidAlgorithmError, "alg_refused"),
    (jwt.InvalidSignatureError, "bad_signature"),
    (jwt.DecodeError, "malformed"),
)


@dataclass(frozen=True)
class VerifiedToken:
    principal: Principal
    integration: bool  # issued for the integration audience (machines)


class TokenVerifier:
    def __init__(self, settings: GatewaySettings, keys: KeyRing) -> None:
        self._settings = settings
        self._keys = keys

    async def verify(self, token: str) -> VerifiedToken:
        if not token or len(token) > MAX_TOKEN_BYTES:
            raise TokenRejected("malformed")
        header = _header(token)
        if header.get("alg") not in self._keys.algorithms:
            raise TokenRejected("alg_refused")
        key = await self._keys.key_for(header)
        claims = self._decode(token, key, str(header["alg"]))
        return _verified(claims, self._settings.jwt_integration_audience)

    def _decode(self, token: str, key: jwt.PyJWK, alg: str) -> dict[str, Any]:
        s = self._settings
        try:
            return jwt.decode(token, key, algorithms=[alg], audience=[s.jwt_audience, s.jwt_integration_audience],
                              issuer=s.jwt_issuer, leeway=s.jwt_leeway_seconds,
                              options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.InvalidTokenError as exc:
            raise TokenRejected(_reason(exc)) from exc


def _header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        raise TokenRejected("malformed") from exc


def _reason(exc: Exception) -> str:
    return next((code for kind, code in _ERRORS if isinstance(exc, kind)), "malformed")


def _verified(claims: dict[str, Any], integration_audience: str) -> VerifiedToken:
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    integration = integration_audience in audiences
    principal = principal_from_claims(claims)
    if integration != (principal.role is Role.INTEGRATION) or (integration and len(audiences) > 1):
        raise TokenRejected("wrong_audience")
    return VerifiedToken(principal, integration)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    try:
        role = Role(str(claims.get("role")))
    except ValueError as exc:
        raise TokenRejected("bad_claims") from exc
    values = {name: claims.get(name) for name in ("sub", *SCOPE_CLAIMS)}
    for value in values.values():
        if value is not None and not (isinstance(value, str) and 0 < len(value) <= _MAX_ID):
            raise TokenRejected("bad_claims")
    needed = REQUIRED_SCOPE.get(role)
    if not values["sub"] or (needed and not values[needed]):
        raise TokenRejected("bad_claims")
    return Principal(role=role, **values)  # type: ignore[arg-type]
