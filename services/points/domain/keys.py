"""Ed25519 key helpers for signing ledger checkpoints (签名检查点).

The private key stays with the points service; auditors get only the public key, as PEM or as the
raw 32 bytes in base64. ``key_id`` is a short fingerprint to name a key in logs and exports.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_PEM_PUBLIC = (serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
_RAW_PUBLIC = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def generate_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey, password: bytes | None = None) -> bytes:
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def load_private_key_pem(data: bytes, password: bytes | None = None) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(data, password=password)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def save_private_key(path: Path, key: Ed25519PrivateKey, password: bytes | None = None) -> None:
    # Created 0600 from the start: a private key must never be world-readable, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_key_pem(key, password))


def load_private_key(path: Path, password: bytes | None = None) -> Ed25519PrivateKey:
    return load_private_key_pem(path.read_bytes(), password)


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(*_PEM_PUBLIC)


def public_key_raw_b64(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(*_RAW_PUBLIC)).decode("ascii")


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """Accepts a PEM public key or the raw 32-byte key in base64."""
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(text)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("public key is neither PEM nor base64") from exc
    if len(raw) != 32:
        raise ValueError("a raw Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def save_public_key(path: Path, key: Ed25519PublicKey) -> None:
    path.write_bytes(public_key_pem(key))


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(key.public_bytes(*_RAW_PUBLIC)).hexdigest()[:16]
