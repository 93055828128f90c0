"""Which keys verify tokens: a JWKS (file or URL) of RS256 / EdDSA keys, the gateway's own signing key,
and — only in ``local``/``test`` — the HS256 dev key.

A key is chosen by the token's ``kid``; the algorithm is bound to the key (PyJWK), so a token cannot pick a
weaker algorithm than its key's, and a symmetric key from a JWKS is never trusted.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import jwt
from jwt import PyJWK, PyJWKClient

from services.gateway.auth.errors import TokenRejected

ASYMMETRIC = ("RS256", "EdDSA")
HS256 = "HS256"


class KeyRing:
    def __init__(self, keys: dict[str, PyJWK], *, dev_key: PyJWK | None = None,
                 jwks_client: PyJWKClient | None = None) -> None:
        self._keys = {kid: key for kid, key in keys.items() if key.algorithm_name in ASYMMETRIC}
        self._dev_key = dev_key
        self._client = jwks_client

    @property
    def algorithms(self) -> tuple[str, ...]:
        return ASYMMETRIC + ((HS256,) if self._dev_key is not None else ())

    async def key_for(self, header: dict[str, Any]) -> PyJWK:
        if header.get("alg") == HS256:
            if self._dev_key is None:
                raise TokenRejected("alg_refused")
            return self._dev_key
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejected("unknown_key")
        key = self._keys.get(kid) or await self._fetch(kid)
        if key is None or key.algorithm_name not in ASYMMETRIC:
            raise TokenRejected("unknown_key")
        return key

    async def _fetch(self, kid: str) -> PyJWK | None:
        if self._client is None:
            return None
        try:
            # PyJWKClient is synchronous (urllib) and caches the set; keep the event loop free.
            return await asyncio.to_thread(self._client.get_signing_key, kid)
        except jwt.PyJWKClientError:
            return None


def load_jwks_file(path: str) -> dict[str, PyJWK]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    keys: dict[str, PyJWK] = {}
    for entry in data.get("keys", []):
        key = PyJWK(entry)
        if key.key_id and key.algorithm_name in ASYMMETRIC:
            keys[key.key_id] = key
    return keys


def hs256_key(secret: str) -> PyJWK:
    return PyJWK({"kty": "oct", "k": jwt.utils.base64url_encode(secret.encode()).decode()}, algorithm=HS256)
