"""Patient pseudonyms and field encryption (个人信息保护法: store the minimum, encrypt identifiers).

``pseudonym``: keyed HMAC-SHA256 of a normalised identifier, never a plain hash (an 18-digit ID number
has too little entropy: a plain hash is reversed by enumeration). Only pseudonyms leave the service.

``encrypt`` / ``decrypt``: AES-256-GCM with a random 96-bit nonce. The token is
``v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``; the key id is derived from the key itself so
several keys can be held during rotation (decrypt with ``[new, old]``, re-encrypt with ``new``).
The caller's ``aad`` (e.g. "patient:<ref>:name") binds a ciphertext to its record and field.
Keys come from settings as bytes; nothing here reads the environment.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PSEUDONYM_PREFIX = "pr_"
_PSEUDONYM = re.compile(r"^pr_[A-Za-z0-9_-]{43}$")
_PSEUDONYM_DOMAIN = b"referral/patient-ref/v1\x00"  # domain separation from any other use of the key
_KEY_ID_DOMAIN = b"referral/field-key-id/v1"
_VERSION = "v1"
_NONCE_BYTES = 12
_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")


class FieldDecryptionError(Exception):
    """A stored ciphertext could not be opened: unknown key, wrong record/field, or tampering."""


def normalize_identifier(value: str) -> str:
    """Strip spaces and hyphens; upper-case the check letter of an ID number; drop a +86 prefix."""
    cleaned = re.sub(r"[\s\-]", "", value)
    if _ID_NUMBER.match(cleaned.upper()):
        return cleaned.upper()
    for prefix in ("+86", "0086"):
        if cleaned.startswith(prefix):
            return cleaned[len(prefix):]
    return cleaned


def pseudonym(key: bytes, id_number_or_contact: str) -> str:
    """``pr_`` + base64url(HMAC-SHA256(key, normalised identifier)); stable for one key."""
    _require_key(key, minimum=32)
    normalized = normalize_identifier(id_number_or_contact)
    if not normalized:
        raise ValueError("identifier is empty")
    mac = hmac.new(key, _PSEUDONYM_DOMAIN + normalized.encode("utf-8"), hashlib.sha256).digest()
    return PSEUDONYM_PREFIX + _b64(mac)


def is_pseudonym(value: object) -> bool:
    return isinstance(value, str) and bool(_PSEUDONYM.match(value))


def key_id(key: bytes) -> str:
    """A short public fingerprint of a field key (does not reveal the key)."""
    _require_key(key, exact=32)
    return _b64(hmac.new(key, _KEY_ID_DOMAIN, hashlib.sha256).digest())[:8]


def encrypt(key: bytes, plaintext: str, aad: bytes | str) -> str:
    """Encrypt one field value. Each call uses a fresh random nonce."""
    kid = key_id(key)
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), _full_aad(kid, aad))
    return f"{_VERSION}.{kid}.{_b64(nonce + sealed)}"


def decrypt(keys: bytes | Sequence[bytes], token: str, aad: bytes | str) -> str:
    """Open a token with whichever held key it names. Raises ``FieldDecryptionError``."""
    kid, blob = _split(token)
    key = _find_key([keys] if isinstance(keys, bytes) else list(keys), kid)
    try:
        plain = AESGCM(key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _full_aad(kid, aad))
    except InvalidTag as exc:
        raise FieldDecryptionError("ciphertext failed authentication (tampered, or wrong record/field)") from exc
    return plain.decode("utf-8")


def token_key_id(token: str) -> str:
    return _split(token)[0]


def needs_rotation(token: str, current_key: bytes) -> bool:
    """True when the token was sealed with a key other than ``current_key``."""
    return token_key_id(token) != key_id(current_key)


def _split(token: str) -> tuple[str, bytes]:
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != _VERSION:
        raise FieldDecryptionError("unknown ciphertext format or version")
    try:
        blob = base64.urlsafe_b64decode(parts[2] + "=" * (-len(parts[2]) % 4))
    except (binascii.Error, ValueError) as exc:
        raise FieldDecryptionError("ciphertext is not base64url") from exc
    if len(blob) < _NONCE_BYTES + 16:
        raise FieldDecryptionError("ciphertext too short")
    return parts[1], blob


def _find_key(keys: list[bytes], kid: str) -> bytes:
    for key in keys:
        if key_id(key) == kid:
            return key
    raise FieldDecryptionError(f"no key held for key id {kid}")


def _full_aad(kid: str, aad: bytes | str) -> bytes:
    extra = aad.encode("utf-8") if isinstance(aad, str) else bytes(aad)
    return f"{_VERSION}.{kid}|".encode("ascii") + extra


def _require_key(key: bytes, *, minimum: int | None = None, exact: int | None = None) -> None:
    if not isinstance(key, bytes):
        raise TypeError("key must be bytes")
    if exact is not None and len(key) != exact:
        raise ValueError(f"key must be exactly {exact} bytes")
    if minimum is not None and len(key) < minimum:
        raise ValueError(f"key must be at least {minimum} bytes")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
