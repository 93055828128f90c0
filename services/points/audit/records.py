"""Parsing export lines (see ``export``) into records, with a fast path that avoids a JSON parser.

The fast path reads an entry line written in the recommended layout by fixed offsets and takes the
canonical bytes verbatim from the ``entry`` value (the canonical JSON object is itself valid JSON, so
it is embedded as-is: nothing to unescape, nothing to re-serialise). Any other layout takes the slow,
general ``json.loads`` path. Both paths yield the same ``EntryRecord`` for a well-formed export.
"""

from __future__ import annotations

import hashlib
import json
from binascii import unhexlify
from dataclasses import dataclass
from typing import Any

from services.points.domain.canonical import canonical_json

PREFIX = b'{"type":"entry","position":'
_P = len(PREFIX)
_PREV = b',"prev_hash":"'
_HASH = b'","hash":"'
_ENTRY = b'","entry":'
_POSITION_KEY = b'"position":'


class MalformedLine(ValueError):
    """A line that is not valid export JSON of a known type."""

    def __init__(self, line_no: int, reason: str) -> None:
        super().__init__(f"line {line_no}: {reason}")
        self.line_no = line_no
        self.reason = reason


@dataclass(frozen=True, slots=True)
class EntryRecord:
    line_no: int
    position: int
    prev_hash: bytes  # raw 32 bytes
    hash: bytes  # raw 32 bytes, as stored
    canonical: bytes

    @property
    def links(self) -> bool:
        """The stored hash is sha256(prev_hash || canonical)."""
        return hashlib.sha256(self.prev_hash + self.canonical).digest() == self.hash

    @property
    def chain_position(self) -> int | None:
        """The position written inside the hashed canonical bytes (None if unreadable)."""
        return canonical_position(self.canonical)


def canonical_position(canonical: bytes) -> int | None:
    # The top-level "position" is the last one: keys are sorted and no later key holds an object.
    at = canonical.rfind(_POSITION_KEY)
    if at < 0:
        return None
    start = at + len(_POSITION_KEY)
    end = start
    while end < len(canonical) and 48 <= canonical[end] <= 57:
        end += 1
    return int(canonical[start:end]) if end > start else None


def fast_fields(line: bytes) -> tuple[int, bytes, bytes, bytes] | None:
    """(position, prev_hash, hash, canonical) of a recommended-layout entry line, read by offsets.

    ``line`` has no line end. The canonical bytes are the verbatim ``entry`` value: no unescaping,
    no JSON parser. Returns None for any other layout (the caller then uses ``slow_line``).
    """
    if not line.startswith(PREFIX):
        return None
    comma = line.find(b",", _P)
    p = comma + 14
    if comma < 0 or line[comma:p] != _PREV or line[p + 64:p + 74] != _HASH or line[p + 138:p + 148] != _ENTRY:
        return None
    if line[-1:] != b"}" or line[p + 148:p + 149] != b"{":
        return None
    try:
        return int(line[_P:comma]), unhexlify(line[p:p + 64]), unhexlify(line[p + 74:p + 138]), line[p + 148:-1]
    except ValueError:
        return None


def fast_entry(line: bytes, line_no: int) -> EntryRecord | None:
    fields = fast_fields(line)
    return None if fields is None else EntryRecord(line_no, *fields)


def slow_line(line: bytes, line_no: int) -> EntryRecord | dict[str, Any]:
    """Any line: an ``EntryRecord`` for entries, the decoded object for other types."""
    try:
        obj = json.loads(line)
    except ValueError as exc:
        raise MalformedLine(line_no, "not JSON") from exc
    if not isinstance(obj, dict) or obj.get("type") not in ("entry", "checkpoint", "header"):
        raise MalformedLine(line_no, "unknown line type")
    if obj["type"] != "entry":
        return obj
    return _entry_from_object(obj, line_no)


def _entry_from_object(obj: dict[str, Any], line_no: int) -> EntryRecord:
    try:
        canonical = obj["canonical"].encode("utf-8") if "canonical" in obj else canonical_json(obj["entry"])
        position = obj["position"]
        if isinstance(position, bool) or not isinstance(position, int):
            raise TypeError("position")
        return EntryRecord(line_no, position, _hex32(obj["prev_hash"]), _hex32(obj["hash"]), canonical)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedLine(line_no, f"bad entry line ({exc})") from exc


def _hex32(value: object) -> bytes:
    if not isinstance(value, str) or len(value) != 64:
        raise ValueError("a hash is 64 hex characters")
    return bytes.fromhex(value)
