"""What goes into the append path (``NewEntry``) and what comes out (``StoredEntry``).

A ``NewEntry`` is a domain ``Entry`` (built by the domain builders: ``award_entry``, ``reversal_entry`` …,
so its amount was derived, never typed in) plus what the ledger row needs beyond the hashed entry: the
alliance it belongs to and, for "once per …" rules, the award's dedupe key.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from services.points.domain.accounts import Account, AccountKind, member
from services.points.domain.entries import Entry
from services.points.domain.ledger import award_entry
from services.points.domain.scheme import Award


@dataclass(frozen=True, slots=True)
class NewEntry:
    entry: Entry
    alliance_id: str
    # Award.dedupe_key of a "once per …" rule (R03b once per appointment, R16 once per year …).
    once_key: str | None = None


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry as the ledger holds it: its chain position, stream version and hashes."""

    entry: Entry
    alliance_id: str
    position: int
    stream: str
    stream_version: int
    business_date: date
    balance_after: Decimal  # the stream account's balance right after this entry
    prev_hash: bytes
    hash: bytes
    area: str | None = None
    duplicate: bool = False  # True when the source event was already in the ledger (nothing appended)

    @property
    def entry_id(self) -> str:
        return self.entry.entry_id


def new_entry_id() -> str:
    """A time-ordered UUID (version 7 layout): index inserts stay near the right edge of the B-tree."""
    millis = time.time_ns() // 1_000_000
    raw = bytearray(millis.to_bytes(6, "big") + os.urandom(10))
    raw[6] = (raw[6] & 0x0F) | 0x70
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def new_award(award: Award, *, alliance_id: str, doctor_id: str, unit_id: str | None, occurred_at: datetime,
              recorded_at: datetime, source_event_id: str | None = None, actor: str | None = None,
              memo: str | None = None, entry_id: str | None = None) -> NewEntry:
    """赋分 to a doctor's member account, ready for ``append_entries`` (the claims path uses this too)."""
    entry = award_entry(award, entry_id=entry_id or new_entry_id(), alliance_id=alliance_id,
                        beneficiary=member(doctor_id), unit_id=unit_id, occurred_at=occurred_at,
                        recorded_at=recorded_at, source_event_id=source_event_id, actor=actor, memo=memo)
    return NewEntry(entry, alliance_id, award.dedupe_key)


def stream_account(entry: Entry) -> Account:
    """The stream an entry belongs to: the person's (or unit's) account it touches.

    Awards, reversals and adjustments: the member or unit account; redemption entries: the doctor's member
    account (hold/void/confirm move the doctor's own points between member, pending and redeemed).
    """
    for posting in (entry.credit, entry.debit):
        if posting.account.kind in (AccountKind.MEMBER, AccountKind.UNIT):
            return posting.account
    for posting in (entry.debit, entry.credit):
        if posting.account.kind is AccountKind.PENDING:
            return member(posting.account.owner)
    raise ValueError(f"entry {entry.entry_id} touches no person or unit account")
