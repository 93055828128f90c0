"""Building ledger exports and tampering with them, the way an attacker without the key could."""

from __future__ import annotations

import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.points.audit import export
from services.points.domain.chain import ChainLink, build_chain, generate_signing_key, link_hash
from tests.services.points.domain.builders import T0, an_award_entry


def make_export(*, n: int = 20, every: int = 5, key: Ed25519PrivateKey | None = None,
                seal: bool = True) -> tuple[list[bytes], Ed25519PrivateKey]:
    key = key or generate_signing_key()
    entries = [an_award_entry(doctor=f"D{i % 3}", unit=f"U{i % 2}") for i in range(n)]
    links, checkpoints = build_chain(entries, every=every, key=key, at=T0, seal=seal)
    lines = [line.encode() for line in export.export_lines(links, checkpoints, exported_at=T0)]
    return lines, key


def is_entry(line: bytes) -> bool:
    return line.startswith(b'{"type":"entry"')


def at(lines: list[bytes], position: int) -> int:
    """Index of the entry line at ``position``."""
    return next(i for i, line in enumerate(lines) if is_entry(line) and json.loads(line)["position"] == position)


def link_of(line: bytes) -> ChainLink:
    obj = json.loads(line)
    canonical = line[line.index(b'"entry":') + 8:].rstrip(b"\n")[:-1]
    return ChainLink(obj["position"], bytes.fromhex(obj["prev_hash"]), bytes.fromhex(obj["hash"]), canonical)


def entry_line(link: ChainLink) -> bytes:
    return export.entry_line(link).encode()


def edit(line: bytes, old: bytes = b'"quantity":1', new: bytes = b'"quantity":2') -> bytes:
    assert old in line
    return line.replace(old, new, 1)


def rehash_from(lines: list[bytes], start: int) -> list[bytes]:
    """Recompute every entry hash from index ``start`` on (a consistent rewrite without the key)."""
    out = list(lines)
    prev = None
    for i, line in enumerate(out):
        if not is_entry(line):
            continue
        link = link_of(line)
        if i >= start:
            prev_hash = prev if prev is not None else link.prev_hash
            link = ChainLink(link.position, prev_hash, link_hash(prev_hash, link.canonical), link.canonical)
            out[i] = entry_line(link)
        prev = link.hash
    return out


def forged_after(lines: list[bytes], index: int, *, position: int, linked: bool = True) -> bytes:
    """A new entry line that claims ``position`` and (if ``linked``) correctly follows line ``index``."""
    previous = link_of(lines[index])
    canonical = previous.canonical.replace(b'"position":%d' % previous.position, b'"position":%d' % position)
    canonical = canonical.replace(b'"quantity":1', b'"quantity":9')
    prev_hash = previous.hash if linked else bytes(range(32))
    digest = link_hash(prev_hash, canonical) if linked else bytes(32)
    return entry_line(ChainLink(position, prev_hash, digest, canonical))
