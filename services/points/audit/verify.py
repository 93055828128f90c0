"""Offline verification of a ledger export (离线校验): needs only the NDJSON export and the public key.

Streams the file once (format: ``services.points.audit.export``), checking for every entry that its
stored hash is ``sha256(prev_hash || canonical)``, that it links to the previous entry and sits at
the next position, and for every checkpoint that its Ed25519
signature is valid and its head equals the chain head there. It stops at the FIRST problem and names
its position and kind (``diagnose.TamperKind``):

- ``altered``   — an entry's content (or stored hash) no longer matches, or a predecessor was changed
  and re-hashed;
- ``removed``   — a position is missing;
- ``inserted``  — an extra row sits in the chain (a copy, or a row that does not belong);
- ``reordered`` — rows are present but out of order (e.g. two swapped);
- ``forged``    — the chain was rewritten consistently without the key (a signed checkpoint's head
  differs, or its signature is invalid), or rows follow the last valid checkpoint (unsigned tail);
- ``malformed`` — a line that cannot be read.
"""

from __future__ import annotations

from binascii import unhexlify
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import IO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.points.domain.chain import GENESIS_PREV_HASH

from .checkpoints import anchor, check_checkpoint, unsigned_tail
from .diagnose import Finding, Head, TamperKind, diagnose
from .export import EXPORT_FORMAT, EXPORT_VERSION
from .records import EntryRecord, MalformedLine, fast_entry, slow_line

__all__ = ["Finding", "TamperKind", "VerifyResult", "verify_export", "verify_lines"]

_CHUNK = 1 << 18
_ENTRY_HEAD = b'{"type":"entry","position":%d,"prev_hash":"'
_HASH_KEY = b'","hash":"'
_ENTRY_KEY = b'","entry":'


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    entries: int
    checkpoints: int
    head_position: int
    head_hash: str
    covered_through: int  # last position pinned by a valid signed checkpoint
    finding: Finding | None = None


class _State:
    """The verified prefix of the chain, plus checkpoint bookkeeping.

    A worker of ``parallel`` scans a slice of the file and starts *unanchored*: its first entry
    defines where it starts (``first``), and checkpoints seen before that are kept in ``leading``
    for the caller to check against the previous slice's head.
    """

    def __init__(self, *, anchored: bool = True) -> None:
        self.position, self.hash = 0, GENESIS_PREV_HASH
        self.before: bytes | None = None
        self.checkpoints = 0
        self.covered_through = 0
        self.anchored = anchored
        self.first: tuple[int, bytes] | None = None  # (position, prev_hash) of the first entry seen
        self.leading: list[dict[str, object]] = []
        self.anchor: int | None = None  # a range export starts at the signed checkpoint at this position

    @property
    def head(self) -> Head:
        return Head(self.position, self.hash, self.before)

    def result(self, finding: Finding | None = None) -> VerifyResult:
        return VerifyResult(finding is None, self.position, self.checkpoints, self.position, self.hash.hex(),
                            self.covered_through, finding)


def verify_export(path: Path, public_key: Ed25519PublicKey, *, require_sealed: bool = True) -> VerifyResult:
    with path.open("rb", buffering=0) as handle:
        return _verify(_split_lines(handle), public_key, require_sealed)


def verify_lines(lines: Iterable[bytes], public_key: Ed25519PublicKey, *,
                 require_sealed: bool = True) -> VerifyResult:
    """Verify an export given as byte lines (line ends optional)."""
    return _verify((line.rstrip(b"\r\n") for line in lines), public_key, require_sealed)


def _verify(lines: Iterable[bytes], key: Ed25519PublicKey, require_sealed: bool) -> VerifyResult:
    state = _State()
    try:
        finding = _walk(enumerate(lines, 1), state, key)
    except MalformedLine as exc:
        finding = Finding(TamperKind.MALFORMED, state.position + 1, exc.line_no, exc.reason,
                          f"第 {exc.line_no} 行无法解析（{exc.reason}）")
    if finding is None and require_sealed and state.covered_through < state.position:
        finding = unsigned_tail(state.covered_through, state.position)
    return state.result(finding)


def _split_lines(handle: IO[bytes], limit: int | None = None) -> Iterator[bytes]:
    """Lines without line ends, reading at most ``limit`` bytes.

    Reads of a few hundred KB split in C are much cheaper per line than iterating a file object, and
    small enough to stay in cache while the lines are hashed.
    """
    rest, left = b"", limit
    while chunk := handle.read(_CHUNK if left is None else min(_CHUNK, left)):
        if left is not None:
            left -= len(chunk)
        parts = (rest + chunk).split(b"\n")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def _walk(stream: Iterator[tuple[int, bytes]], state: _State, key: Ed25519PublicKey) -> Finding | None:
    """The hot loop. A line in the recommended layout that continues the chain costs a few
    ``startswith``, one ``unhexlify`` and one sha256, with the head kept in locals; every other line
    (header, checkpoint, other layouts, or anything wrong) goes through ``_step`` with full parsing."""
    position, head_hash, before = state.position, state.hash, state.before
    head_hex = head_hash.hex().encode()
    for line_no, line in stream:
        expected = position + 1
        head = _ENTRY_HEAD % expected
        p = len(head)
        if (line.startswith(head) and line.startswith(head_hex, p) and line.startswith(_HASH_KEY, p + 64)
                and line.startswith(_ENTRY_KEY, p + 138) and line.endswith(b"}")):
            canonical = line[p + 148:-1]
            try:
                stored = unhexlify(line[p + 74:p + 138])
            except ValueError:
                stored = None
            if sha256(head_hash + canonical).digest() == stored:
                position, before, head_hash, head_hex = expected, head_hash, stored, line[p + 74:p + 138]
                continue
        state.position, state.hash, state.before = position, head_hash, before
        finding = _step(line, line_no, stream, state, key)
        if finding is not None:
            return finding
        position, head_hash, before = state.position, state.hash, state.before
        head_hex = head_hash.hex().encode()
    state.position, state.hash, state.before = position, head_hash, before
    return None


def _step(line: bytes, line_no: int, stream: Iterator[tuple[int, bytes]], state: _State,
          key: Ed25519PublicKey) -> Finding | None:
    """The general path for one line: parse it fully, then advance, check a checkpoint, or diagnose."""
    if not line.strip():
        return None
    parsed = slow_line(line, line_no)
    if isinstance(parsed, EntryRecord) and not state.anchored:
        state.position, state.hash, state.anchored = parsed.position - 1, parsed.prev_hash, True
        state.first = (parsed.position, parsed.prev_hash)
    if isinstance(parsed, EntryRecord):
        expected = state.position + 1
        if parsed.prev_hash == state.hash and parsed.position == expected and parsed.links:
            state.position, state.hash, state.before = expected, parsed.hash, state.hash
            return None
        return diagnose(parsed, state.head, _lookahead(stream))
    if parsed["type"] == "header":
        if line_no != 1 or parsed.get("format") != EXPORT_FORMAT or parsed.get("version") != EXPORT_VERSION:
            raise MalformedLine(line_no, "unexpected or unsupported header")
        start = parsed.get("from_position")
        if isinstance(start, int) and not isinstance(start, bool) and start > 1:
            state.anchor = start - 1
        return None
    if not state.anchored:
        state.leading.append(parsed)
        return None
    if state.anchor is not None and state.position == 0:
        return _take_anchor(parsed, line_no, state, key)
    finding = check_checkpoint(parsed, line_no, state.head, state.covered_through, key)
    if finding is None:
        state.checkpoints += 1
        state.covered_through = state.position
    return finding


def _take_anchor(obj: dict[str, object], line_no: int, state: _State, key: Ed25519PublicKey) -> Finding | None:
    head = anchor(obj, line_no, state.anchor or 0, key)
    if isinstance(head, Finding):
        return head
    state.position, state.hash, state.before = head.position, head.hash, None
    state.checkpoints += 1
    state.covered_through = head.position
    return None


def _lookahead(stream: Iterator[tuple[int, bytes]], limit: int = 64) -> list[EntryRecord]:
    """Up to ``limit`` following entry records; read only once a problem is found."""
    records: list[EntryRecord] = []
    for line_no, line in stream:
        try:
            parsed = fast_entry(line, line_no) or slow_line(line, line_no)
        except MalformedLine:
            continue
        if isinstance(parsed, EntryRecord):
            records.append(parsed)
            if len(records) >= limit:
                break
    return records
