"""Minting the platform's own JWTs (WeChat login, the local CLI).

Production signs with an asymmetric private key (RS256 for RSA, EdDSA for Ed25519) whose public half the
verifier trusts under ``signing_key_id``; local/test sign with the HS256 dev key. The private key never leaves
this object and is never logged.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jwt import PyJWK

from libs.auth.principal import Principal, Role
from libs.kit.clock import Clock
from services.gateway.auth.keys import HS256
from services.gateway.auth.tokens import SCOPE_CLAIMS
from services.gateway.settings import GatewaySettings


class TokenIssuer:
    def __init__(self, settings: GatewaySettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._kid: str | None = None
        if settings.signing_key_file:
            self._key: Any = _load_private_key(settings.signing_key_file)
            self._alg = "EdDSA" if isinstance(self._key, Ed25519PrivateKey) else "RS256"
            self._kid = settings.signing_key_id
        elif settings.is_dev:
            self._key, self._alg = settings.dev_hs256_key.get_secret_value(), HS256
        else:
            raise ValueError("gateway: no signing key for tokens outside local/test")

    @property
    def ttl(self) -> timedelta:
        return timedelta(seconds=self._settings.token_ttl_seconds)

    def public_jwk(self) -> PyJWK | None:
        """The verifying half of an asymmetric signing key (None for the HS256 dev key)."""
        if self._kid is None:
            return None
        algorithm = jwt.get_algorithm_by_name(self._alg)
        data = algorithm.to_jwk(self._key.public_key(), as_dict=True)
        return PyJWK({**data, "kid": self._kid, "alg": self._alg, "use": "sig"})

    def mint(self, principal: Principal, *, ttl: timedelta | None = None) -> str:
        s, now = self._settings, self._clock.now()
        claims: dict[str, Any] = {
            "iss": s.jwt_issuer,
            "aud": s.jwt_integration_audience if principal.role is Role.INTEGRATION else s.jwt_audience,
            "sub": principal.sub, "role": principal.role.value, "jti": uuid.uuid4().hex,
            "iat": int(now.timestamp()), "exp": int((now + (ttl or self.ttl)).timestamp()),
        }
        claims.update({name: getattr(principal, name) for name in SCOPE_CLAIMS if getattr(principal, name)})
        headers = {"kid": self._kid} if self._kid else None
        return jwt.encode(claims, self._key, algorithm=self._alg, headers=headers)


def _load_private_key(path: str) -> Any:
    key = load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, RSAPrivateKey | Ed25519PrivateKey):
        raise ValueError("gateway signing key must be RSA or Ed25519")
    return key
