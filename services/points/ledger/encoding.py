"""Canonical bytes on the append path, and entries read back from them.

``canonical_bytes`` produces exactly ``domain.canonical.canonical_entry`` (a property test holds them equal)
but about six times faster: the keys are sorted once, here, and strings are escaped by the C encoder the
stdlib ``json`` module uses for ``ensure_ascii``. ``decode_entry`` is the inverse: the stored canonical bytes
of a row give back the domain ``Entry`` (so a reversal, a replay or a rebuild reads what was hashed, not a
column that could drift from it).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from libs.kit.amounts import from_tenths, to_tenths
from services.points.domain.accounts import Account
from services.points.domain.canonical import ENTRY_FORMAT, canonical_json
from services.points.domain.entries import Entry, EntryType, FactPairs, Posting

_esc = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]
_FACTS_CACHE: dict[tuple[tuple[str, type, object], ...], str] = {}
_FACTS_CACHE_MAX = 4096


def canonical_bytes(entry: Entry, position: int) -> bytes:
    """The hashed bytes of ``entry`` at ``position`` (sorted keys, compact, ASCII, integer tenths)."""
    debit, credit = entry.debit, entry.credit
    postings = (f"[[{_esc(str(debit.account))},{to_tenths(debit.amount)}],"
                f"[{_esc(str(credit.account))},{to_tenths(credit.amount)}]]")
    text = (
        f'{{"actor":{_s(entry.actor)},"entry_id":{_esc(entry.entry_id)},"entry_type":"{entry.entry_type.value}",'
        f'"facts":{_facts(entry.facts)},"format":{ENTRY_FORMAT},"memo":{_s(entry.memo)},'
        f'"occurred_at":"{_instant(entry.occurred_at)}","position":{int(position)},"postings":{postings},'
        f'"quantity":{_i(entry.quantity)},"recorded_at":"{_instant(entry.recorded_at)}",'
        f'"redemption_id":{_s(entry.redemption_id)},"reverses":{_s(entry.reverses)},'
        f'"rule_code":{_s(entry.rule_code)},"scheme_id":{_s(entry.scheme_id)},'
        f'"scheme_version":{_i(entry.scheme_version)},"source_event_id":{_s(entry.source_event_id)},'
        f'"unit_id":{_s(entry.unit_id)},"variant":{_s(entry.variant)}}}'
    )
    return text.encode("ascii")


def decode_document(canonical: bytes) -> dict[str, Any]:
    return dict(json.loads(canonical))


def decode_entry(canonical: bytes) -> Entry:
    """The domain entry whose canonical bytes these are (``position`` is the row's, not the entry's)."""
    return entry_from_document(decode_document(canonical))


def entry_from_document(doc: dict[str, Any]) -> Entry:
    (debit_account, debit_tenths), (credit_account, credit_tenths) = doc["postings"]
    return Entry(
        entry_id=doc["entry_id"], entry_type=EntryType(doc["entry_type"]),
        debit=Posting(Account.parse(debit_account), from_tenths(debit_tenths)),
        credit=Posting(Account.parse(credit_account), from_tenths(credit_tenths)),
        occurred_at=parse_utc(doc["occurred_at"]), recorded_at=parse_utc(doc["recorded_at"]),
        unit_id=doc["unit_id"], rule_code=doc["rule_code"], scheme_id=doc["scheme_id"],
        scheme_version=doc["scheme_version"], variant=doc["variant"], quantity=doc["quantity"],
        facts=tuple(sorted(doc["facts"].items())), reverses=doc["reverses"], redemption_id=doc["redemption_id"],
        source_event_id=doc["source_event_id"], actor=doc["actor"], memo=doc["memo"],
    )


def parse_utc(text: str) -> datetime:
    """A canonical ``…Z`` instant (``fromisoformat`` is ~50× cheaper than ``strptime``)."""
    if not text.endswith("Z"):
        raise ValueError("canonical instants end in Z")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)


def _s(value: str | None) -> str:
    return "null" if value is None else str(_esc(value))


def _i(value: int | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("canonical integers must be int")
    return str(value)


def _instant(at: datetime) -> str:
    # Entries hold UTC instants (Entry normalises them); isoformat is much cheaper than strftime.
    if at.utcoffset():
        raise ValueError("canonical instants must be UTC")
    return at.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _facts(facts: FactPairs) -> str:
    if not facts:
        return "{}"
    # The type is part of the key: True == 1 == Decimal("1.0") in Python, but not in canonical JSON.
    key = tuple((name, type(value), value) for name, value in facts)
    text = _FACTS_CACHE.get(key)
    if text is None:
        text = canonical_json({name: str(v) if isinstance(v, Decimal) else v for name, v in facts}).decode("ascii")
        if len(_FACTS_CACHE) < _FACTS_CACHE_MAX:
            _FACTS_CACHE[key] = text
    return text
