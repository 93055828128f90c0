"""The ledger export format (NDJSON) read by the offline verifier, and the functions that write it.

Format ``points-ledger-export`` version 1 — UTF-8, one JSON object per line, ``\\n`` line ends:

1. Header (optional; if present it is the first line)::

       {"type":"header","format":"points-ledger-export","version":1,"exported_at":"2025-01-02T03:04:05.000000Z",
        "key_id":"<16 hex, optional>"}

   A *range* export (not from genesis) adds ``"from_position": P`` (P > 1) and its next line is the signed
   checkpoint at P - 1 (the anchor): its signature is verified and the chain continues from its head. A
   verifier proves the range against that signed head, not against genesis.

2. Entry lines, in chain order, positions dense from 1 (no gaps, no repeats)::

       {"type":"entry","position":7,"prev_hash":"<64 lowercase hex>","hash":"<64 lowercase hex>",
        "entry":{…the entry's canonical JSON, verbatim…}}

   The hashed bytes are the ``entry`` value exactly as written: a conforming writer embeds the
   entry's canonical JSON (``services.points.domain.canonical``: sorted keys, no whitespace, ASCII,
   integer tenths, UTC ``…Z`` instants) byte for byte — it is itself valid JSON, so nothing is
   escaped. ``hash = sha256(bytes.fromhex(prev_hash) + canonical_bytes)``; the first entry's
   ``prev_hash`` is 64 zeros; each ``prev_hash`` equals the previous entry's ``hash``. The canonical
   JSON also carries ``position`` (informative: order is proven by the links). Writers SHOULD emit
   exactly this layout — keys in this order, one line, no spaces, ``entry`` last — so the verifier
   slices the bytes by offsets (fast path, no JSON parser). Other layouts go through ``json.loads``
   and ``canonical_json(entry)`` (slow path, same bytes for a conforming writer), as does a
   ``"canonical": "<canonical JSON as a string>"`` field in place of ``entry`` (its UTF-8 bytes are hashed).

3. Checkpoint lines, each placed immediately after the entry line at its ``position``::

       {"type":"checkpoint","position":1000,"count":1000,"head_hash":"<64 hex>",
        "created_at":"2025-01-02T03:04:05.000000Z","signature":"<base64 Ed25519 signature>"}

   The signature covers the canonical JSON of ``{"count","created_at","head_hash","position",
   "purpose":"points-ledger-checkpoint/v1"}`` (``Checkpoint.payload``). One is written every N entries
   and the export MUST end with a checkpoint at the last entry (the sealing checkpoint, signed at
   export time): entries after the last valid checkpoint are reported as forged (unsigned tail).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from datetime import datetime

from services.points.domain.canonical import format_instant
from services.points.domain.chain import ChainLink, SignedCheckpoint

EXPORT_FORMAT = "points-ledger-export"
EXPORT_VERSION = 1


def header_line(exported_at: datetime, key_id: str | None = None, from_position: int | None = None) -> str:
    body: dict[str, object] = {"type": "header", "format": EXPORT_FORMAT, "version": EXPORT_VERSION,
                               "exported_at": format_instant(exported_at), "key_id": key_id}
    if from_position is not None and from_position > 1:
        body["from_position"] = from_position
    return json.dumps(body, separators=(",", ":")) + "\n"


def entry_line(link: ChainLink) -> str:
    # Fixed key order, no spaces, canonical bytes embedded verbatim as the last value: the layout the
    # verifier's fast path reads by offsets.
    return (f'{{"type":"entry","position":{link.position},"prev_hash":"{link.prev_hash.hex()}",'
            f'"hash":"{link.hash.hex()}","entry":{link.canonical.decode("ascii")}}}\n')


def checkpoint_line(signed: SignedCheckpoint) -> str:
    cp = signed.checkpoint
    return (f'{{"type":"checkpoint","position":{cp.position},"count":{cp.count},'
            f'"head_hash":"{cp.head_hash.hex()}","created_at":"{format_instant(cp.created_at)}",'
            f'"signature":"{base64.b64encode(signed.signature).decode("ascii")}"}}\n')


def export_lines(links: Iterable[ChainLink], checkpoints: Iterable[SignedCheckpoint], *,
                 exported_at: datetime | None = None, key_id: str | None = None) -> Iterator[str]:
    """Interleave entry and checkpoint lines in the order the verifier requires."""
    if exported_at is not None:
        yield header_line(exported_at, key_id)
    by_position: dict[int, list[SignedCheckpoint]] = {}
    for signed in checkpoints:
        by_position.setdefault(signed.checkpoint.position, []).append(signed)
    for link in links:
        yield entry_line(link)
        for signed in by_position.get(link.position, ()):
            yield checkpoint_line(signed)
