"""Naming what went wrong at the first broken link (only runs once, so it may be slow and careful).

Inputs: the verified head (last good position, its hash, and the hash before it), the first record
that does not continue it, and a window of the records after it. The classification leans on hash
links rather than the unprotected ``position`` field: a row that links to our head's predecessor
means our head was an extra row; a next row that links to our head means the current row is extra;
a current row that the next row links *from*, while the next links to our head, means a swap.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .records import EntryRecord


class TamperKind(StrEnum):
    ALTERED = "altered"
    REMOVED = "removed"
    INSERTED = "inserted"
    REORDERED = "reordered"
    FORGED = "forged"
    MALFORMED = "malformed"


@dataclass(frozen=True, slots=True)
class Head:
    position: int
    hash: bytes
    prev_hash: bytes | None  # hash of the entry before the head (None at genesis)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: TamperKind
    position: int  # the first bad chain position
    line_no: int  # the export line where it was detected (0 = end of file)
    detail_en: str
    detail_zh: str
    since_position: int | None = None  # for rewrites: the change lies in since_position..position


def diagnose(record: EntryRecord, head: Head, following: list[EntryRecord]) -> Finding:
    """Classify why ``record`` does not continue ``head``."""
    expected = head.position + 1
    nxt = following[0] if following else None
    next_links_head = nxt is not None and nxt.prev_hash == head.hash
    if not record.links:
        if next_links_head:
            return _finding(TamperKind.INSERTED, expected, record, "an extra row that does not belong to the chain")
        return _finding(TamperKind.ALTERED, expected, record, "content does not match its stored hash")
    if record.prev_hash == head.hash:
        kind = TamperKind.ALTERED if record.chain_position == expected else TamperKind.INSERTED
        return _finding(kind, expected, record, "position does not match the chain order")
    if head.prev_hash is not None and record.prev_hash == head.prev_hash:
        return _finding(TamperKind.INSERTED, head.position, record, "the previous row is an extra row")
    if next_links_head:
        if nxt is not None and record.prev_hash == nxt.hash:
            return _finding(TamperKind.REORDERED, expected, record, "rows swapped")
        return _finding(TamperKind.INSERTED, expected, record, "an extra row before the expected one")
    return _by_position(record, head, following)


def _by_position(record: EntryRecord, head: Head, following: list[EntryRecord]) -> Finding:
    expected = head.position + 1
    claimed = record.chain_position
    if claimed is None:
        return _finding(TamperKind.MALFORMED, expected, record, "canonical bytes carry no position")
    if claimed > expected:
        if any(r.prev_hash == head.hash or r.chain_position == expected for r in following):
            return _finding(TamperKind.REORDERED, expected, record, f"row {claimed} appears before row {expected}")
        return _finding(TamperKind.REMOVED, expected, record, f"positions {expected}..{claimed - 1} missing")
    if claimed < expected:
        return _finding(TamperKind.INSERTED, expected, record, f"a copy of row {claimed} re-appears")
    # Right position, wrong predecessor: the previous row was changed and its hash recomputed.
    return _finding(TamperKind.ALTERED, max(head.position, 1), record,
                    "the previous row was changed (its successor committed to a different hash)")


_ZH = {
    TamperKind.ALTERED: "分录内容被篡改",
    TamperKind.REMOVED: "分录被删除",
    TamperKind.INSERTED: "插入了不属于链的分录",
    TamperKind.REORDERED: "分录顺序被调换",
    TamperKind.MALFORMED: "分录无法解析",
}


def _finding(kind: TamperKind, position: int, record: EntryRecord, detail: str) -> Finding:
    return Finding(kind, position, record.line_no, detail, f"第 {position} 条：{_ZH[kind]}")
