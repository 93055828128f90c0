"""The checkpoint signing key (Ed25519): from the settings, or — in local/test only — generated once per
database and kept in ``dev_signing_key`` so every process of that environment signs with the same key.

Production without a configured key never gets here: ``PointsSettings`` refuses to load (fail fast).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.points.domain.keys import (
    generate_signing_key,
    key_id,
    load_private_key_pem,
    private_key_pem,
    public_key_pem,
)
from services.points.settings import PointsSettings

log = logging.getLogger("points.signing")


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    key_id: str
    public_pem: str


def signing_key_from(private: Ed25519PrivateKey) -> SigningKey:
    public = private.public_key()
    return SigningKey(private, key_id(public), public_key_pem(public).decode("ascii"))


def configured_key(settings: PointsSettings) -> SigningKey | None:
    """The key from ``POINTS_SIGNING_KEY_PEM`` or ``POINTS_SIGNING_KEY_FILE``; None when neither is set."""
    if settings.signing_key_pem:
        return signing_key_from(load_private_key_pem(settings.signing_key_pem.encode()))
    if settings.signing_key_file:
        return signing_key_from(load_private_key_pem(Path(settings.signing_key_file).read_bytes()))
    return None


async def load_signing_key(settings: PointsSettings, conn: asyncpg.Connection) -> SigningKey:
    configured = configured_key(settings)
    if configured is not None:
        return configured
    if not settings.generates_dev_key:
        raise RuntimeError("points: no checkpoint signing key configured")
    return signing_key_from(await _dev_key(conn))


async def _dev_key(conn: asyncpg.Connection) -> Ed25519PrivateKey:
    # Insert-if-absent then read: two processes starting together end up with the same key.
    candidate = private_key_pem(generate_signing_key()).decode("ascii")
    await conn.execute("INSERT INTO dev_signing_key (id, private_pem) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                       candidate)
    pem = await conn.fetchval("SELECT private_pem FROM dev_signing_key WHERE id = 1")
    log.warning("using a development checkpoint signing key kept in the database (local/test only)")
    return load_private_key_pem(pem.encode("ascii"))
