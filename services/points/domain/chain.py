"""Hash chain over the ledger (哈希链) and Ed25519-signed checkpoints (签名检查点).

``hash(n) = sha256(hash(n-1) || canonical_bytes(entry n))`` with ``hash(0)`` = 32 zero bytes, and
positions dense from 1 (the chain position is assigned under the append lock, not a DB sequence
that may skip). Altering, dropping or reordering any entry changes every later hash; a signed
checkpoint pins the head at a position so a rewrite without the private key is caught.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .canonical import canonical_entry, canonical_json, checkpoint_document
from .entries import Entry
from .keys import (
    generate_signing_key,
    key_id,
    load_private_key,
    load_private_key_pem,
    load_public_key,
    private_key_pem,
    public_key_pem,
    public_key_raw_b64,
    save_private_key,
    save_public_key,
)

__all__ = [
    "GENESIS_PREV_HASH", "ChainLink", "Checkpoint", "HashChain", "SignedCheckpoint", "build_chain",
    "generate_signing_key",
    "key_id", "link_hash", "load_private_key", "load_private_key_pem", "load_public_key", "private_key_pem",
    "public_key_pem", "public_key_raw_b64", "save_private_key", "save_public_key", "sign_checkpoint",
    "verify_checkpoint",
]

GENESIS_PREV_HASH = bytes(32)


def link_hash(prev_hash: bytes, canonical: bytes) -> bytes:
    return hashlib.sha256(prev_hash + canonical).digest()


@dataclass(frozen=True, slots=True)
class ChainLink:
    """An entry's place in the chain: what the ledger row stores next to the entry."""

    position: int
    prev_hash: bytes
    hash: bytes
    canonical: bytes


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The head of the chain at ``position``; ``count`` entries from genesis are covered."""

    position: int
    head_hash: bytes
    count: int
    created_at: datetime

    def payload(self) -> bytes:
        """The bytes that are signed."""
        return canonical_json(checkpoint_document(self.position, self.head_hash, self.count, self.created_at))


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    signature: bytes


def sign_checkpoint(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> SignedCheckpoint:
    return SignedCheckpoint(checkpoint, key.sign(checkpoint.payload()))


def verify_checkpoint(signed: SignedCheckpoint, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(signed.signature, signed.checkpoint.payload())
    except InvalidSignature:
        return False
    return True


class HashChain:
    """The running head of the chain; the append path feeds it entries in position order."""

    def __init__(self, head_hash: bytes = GENESIS_PREV_HASH, position: int = 0) -> None:
        if len(head_hash) != 32 or position < 0:
            raise ValueError("a chain head is 32 bytes at a non-negative position")
        self.head_hash = head_hash
        self.position = position

    def append(self, entry: Entry) -> ChainLink:
        return self.append_canonical(canonical_entry(entry, self.position + 1))

    def append_canonical(self, canonical: bytes) -> ChainLink:
        link = ChainLink(self.position + 1, self.head_hash, link_hash(self.head_hash, canonical), canonical)
        self.head_hash, self.position = link.hash, link.position
        return link

    def checkpoint_due(self, every: int) -> bool:
        """True when the head sits on a multiple of ``every`` (the checkpoint interval N)."""
        if every < 1:
            raise ValueError("checkpoint interval must be positive")
        return self.position > 0 and self.position % every == 0

    def checkpoint(self, created_at: datetime) -> Checkpoint:
        return Checkpoint(self.position, self.head_hash, self.position, created_at)


def build_chain(entries: Iterable[Entry], *, every: int, key: Ed25519PrivateKey, at: datetime,
                seal: bool = True) -> tuple[list[ChainLink], list[SignedCheckpoint]]:
    """Chain ``entries`` from genesis, signing a checkpoint every ``every`` entries (and at the end if ``seal``).

    Useful for exports and tests; the live append path does the same one entry at a time.
    """
    chain, links, checkpoints = HashChain(), [], []
    for entry in entries:
        links.append(chain.append(entry))
        if chain.checkpoint_due(every):
            checkpoints.append(sign_checkpoint(chain.checkpoint(at), key))
    if seal and links and (not checkpoints or checkpoints[-1].checkpoint.position != chain.position):
        checkpoints.append(sign_checkpoint(chain.checkpoint(at), key))
    return links, checkpoints
