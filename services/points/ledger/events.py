"""``alliance.points.entry.recorded`` for each appended entry, as outbox rows of the same transaction.

Envelopes are built by ``libs.events`` (the one serialisation of an event) and turned into outbox rows by
``Outbox.rows``; here they only become column arrays for the single write statement.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from decimal import Decimal

from libs.events.envelope import Envelope, new_envelope
from libs.events.outbox import Outbox
from libs.events.schemas.points import EntryRecorded
from libs.kit.amounts import format_points
from services.points.persistence.tables import events

from .config import SOURCE, LedgerConfig
from .model import StoredEntry


def entry_recorded(stored: StoredEntry) -> EntryRecorded:
    return EntryRecorded.model_validate(entry_recorded_data(stored))


def entry_recorded_data(stored: StoredEntry) -> dict[str, object]:
    """The payload in its JSON form (what ``EntryRecorded.model_dump(mode="json")`` gives)."""
    entry = stored.entry
    return {
        "entry_id": entry.entry_id, "position": stored.position, "alliance_id": stored.alliance_id,
        "doctor_id": stored.stream.partition(":")[2] if stored.stream.startswith("member:") else None,
        "unit_id": entry.unit_id, "entry_type": entry.entry_type.value, "rule_code": entry.rule_code,
        "variant": entry.variant, "amount": format_points(entry.amount), "delta": format_points(stream_delta(stored)),
        "occurred_at": entry.occurred_at.isoformat().replace("+00:00", "Z"),
        "business_date": stored.business_date.isoformat(), "source_event_id": entry.source_event_id,
        "reverses": entry.reverses, "redemption_id": entry.redemption_id,
    }


def stream_delta(stored: StoredEntry) -> Decimal:
    """How the stream's account moved: + credited, − debited, 0 (a confirm moves pending → redeemed)."""
    entry = stored.entry
    if str(entry.credit.account) == stored.stream:
        return entry.amount
    if str(entry.debit.account) == stored.stream:
        return -entry.amount
    return Decimal("0.0")


def entry_envelopes(stored: Sequence[StoredEntry]) -> list[Envelope]:
    if not stored:
        return []
    first = new_envelope(entry_recorded(stored[0]), source=SOURCE, subject=stored[0].stream,
                         at=stored[0].entry.recorded_at)
    # The rest of a batch share the first's (validated) shape, source, correlation and trace: constructing them
    # without re-validation keeps a 10k-entry batch cheap; ``Envelope.to_bytes`` still serialises every one.
    common = first.model_dump(exclude={"id", "subject", "time", "data"})
    return [first] + [Envelope.model_construct(**common, id=str(uuid.uuid4()), subject=s.stream,
                                               time=s.entry.recorded_at, data=entry_recorded_data(s))
                      for s in stored[1:]]


def outbox_arrays(stored: Sequence[StoredEntry], config: LedgerConfig,
                  extra: Sequence[Envelope] = ()) -> list[list[object]]:
    """Five column arrays (event_id, subject, type, payload, headers as JSON text) for the write statement."""
    outbox = Outbox(events.outbox, namespace=config.namespace)
    rows = outbox.rows(*entry_envelopes(stored), *extra)
    return [[r["event_id"] for r in rows], [r["subject"] for r in rows], [r["type"] for r in rows],
            [r["payload"] for r in rows], [json.dumps(r["headers"]) for r in rows]]
