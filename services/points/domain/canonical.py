"""Canonical bytes of ledger entries and checkpoints: the exact bytes that are hashed and signed.

Deterministic by construction: JSON with sorted keys, no whitespace, ASCII only (non-ASCII escaped
as ``\\uXXXX``, so no Unicode normalisation question arises), every key always present (null when
empty), amounts as *integer tenths* of a point, instants as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``,
and no floats anywhere (a float is refused, not rounded).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from libs.kit.amounts import to_tenths

from .entries import Entry

ENTRY_FORMAT = 1
CHECKPOINT_PURPOSE = "points-ledger-checkpoint/v1"  # domain separation: this signature means nothing else


def canonical_json(obj: Any) -> bytes:
    """Sorted-key compact ASCII JSON; raises TypeError on floats or unknown types."""
    _refuse_floats(obj)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode("ascii")


def format_instant(at: datetime) -> str:
    """UTC with microseconds and 'Z' — PostgreSQL timestamptz round-trips it exactly."""
    if at.tzinfo is None:
        raise ValueError("canonical instants must be timezone-aware")
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def entry_document(entry: Entry, position: int) -> dict[str, Any]:
    """The canonical dict of an entry at a chain position (the export's ``entry`` object)."""
    return {
        "format": ENTRY_FORMAT,
        "position": position,
        "entry_id": entry.entry_id,
        "entry_type": entry.entry_type.value,
        "postings": [[str(p.account), to_tenths(p.amount)] for p in entry.postings],
        "occurred_at": format_instant(entry.occurred_at),
        "recorded_at": format_instant(entry.recorded_at),
        "unit_id": entry.unit_id,
        "rule_code": entry.rule_code,
        "scheme_id": entry.scheme_id,
        "scheme_version": entry.scheme_version,
        "variant": entry.variant,
        "quantity": entry.quantity,
        "facts": {name: _fact(value) for name, value in entry.facts},
        "reverses": entry.reverses,
        "redemption_id": entry.redemption_id,
        "source_event_id": entry.source_event_id,
        "actor": entry.actor,
        "memo": entry.memo,
    }


def canonical_entry(entry: Entry, position: int) -> bytes:
    return canonical_json(entry_document(entry, position))


def checkpoint_document(position: int, head_hash: bytes, count: int, created_at: datetime) -> dict[str, Any]:
    return {
        "purpose": CHECKPOINT_PURPOSE,
        "position": position,
        "head_hash": head_hash.hex(),
        "count": count,
        "created_at": format_instant(created_at),
    }


def _fact(value: object) -> object:
    # Decimal facts (e.g. 4.5 months) become their exact text; bool/int/str pass through.
    if isinstance(value, Decimal):
        return str(value)
    return value


def _refuse_floats(obj: Any) -> None:
    if isinstance(obj, float):
        raise TypeError("floats are not allowed in canonical bytes")
    if isinstance(obj, dict):
        for value in obj.values():
            _refuse_floats(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            _refuse_floats(value)
