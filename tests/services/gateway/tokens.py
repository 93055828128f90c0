"""Keyword-only token builders for the gateway tests: HS256 dev tokens, RS256 / EdDSA tokens from a test JWKS."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from services.gateway.settings import DEV_HS256_KEY

ISSUER, AUDIENCE, INTEGRATION_AUDIENCE = "alliance-gateway", "alliance-api", "alliance-integration"


@dataclass
class SigningKeys:
    rsa: rsa.RSAPrivateKey
    ed: ed25519.Ed25519PrivateKey
    other_rsa: rsa.RSAPrivateKey  # not in the JWKS

    @classmethod
    def generate(cls) -> SigningKeys:
        return cls(rsa.generate_private_key(65537, 2048), ed25519.Ed25519PrivateKey.generate(),
                   rsa.generate_private_key(65537, 2048))

    def write_jwks(self, path: Path) -> str:
        keys = [
            {**jwt.algorithms.RSAAlgorithm.to_jwk(self.rsa.public_key(), as_dict=True), "kid": "rsa-1", "alg": "RS256"},
            {**jwt.algorithms.OKPAlgorithm.to_jwk(self.ed.public_key(), as_dict=True), "kid": "ed-1", "alg": "EdDSA"},
            # A symmetric key in a JWKS must never be trusted.
            {"kty": "oct", "kid": "oct-1", "k": jwt.utils.base64url_encode(b"x" * 32).decode(), "alg": "HS256"},
        ]
        path.write_text(json.dumps({"keys": keys}))
        return str(path)


def claims(*, role: str = "doctor", sub: str = "d-1", aud: Any = AUDIENCE, iss: str = ISSUER,
           ttl: int = 600, **scope: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": iss, "aud": aud, "sub": sub, "role": role, "iat": now, "exp": now + ttl}
    if role == "doctor" and "doctor_id" not in scope:
        scope["doctor_id"] = sub
    if role == "integration" and aud == AUDIENCE:
        base["aud"] = INTEGRATION_AUDIENCE
    base.update(scope)
    return {k: v for k, v in base.items() if v is not None}


def hs256(**kwargs: Any) -> str:
    return jwt.encode(claims(**kwargs), DEV_HS256_KEY, algorithm="HS256")


def signed(key: Any, alg: str, kid: str | None, **kwargs: Any) -> str:
    return jwt.encode(claims(**kwargs), key, algorithm=alg, headers={"kid": kid} if kid else None)


def unsigned(**kwargs: Any) -> str:
    """``alg: none`` — PyJWT will not verify it; built by hand like an attacker would."""
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims(**kwargs))}."


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}
