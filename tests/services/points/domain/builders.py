"""Keyword-only builders for points domain tests, with unique ids so tests never collide."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from services.points.domain.entries import Entry
from services.points.domain.ledger import (
    Account,
    adjustment_entry,
    award_entry,
    member,
    redemption_confirm_entry,
    redemption_hold_entry,
    redemption_void_entry,
    reversal_entry,
)
from services.points.domain.scheme import Award, Scheme, compute_award, load_scheme

ALLIANCE = "hn-peds"
SCHEME_ID = "hunan-peds-club-2024"
T0 = datetime(2024, 5, 6, 1, 2, 3, tzinfo=timezone.utc)
_ids = itertools.count(1)


def next_id(prefix: str = "e") -> str:
    return f"{prefix}{next(_ids)}"


def scheme() -> Scheme:
    return load_scheme(SCHEME_ID, 1)


def an_award(*, rule: str = "R02b", variant: str | None = "inpatient", quantity: int = 1,
             facts: dict | None = None) -> Award:
    return compute_award(scheme(), rule, variant, quantity, facts)


def an_award_entry(*, doctor: str = "D1", unit: str | None = "U1", award: Award | None = None,
                   at: datetime = T0, beneficiary: Account | None = None, entry_id: str | None = None) -> Entry:
    return award_entry(award or an_award(), entry_id=entry_id or next_id(), alliance_id=ALLIANCE,
                       beneficiary=beneficiary or member(doctor), unit_id=unit, occurred_at=at,
                       recorded_at=at + timedelta(seconds=1))


def a_reversal(original: Entry, *, amount: Decimal | None = None, at: datetime = T0) -> Entry:
    return reversal_entry(original, entry_id=next_id("r"), occurred_at=at, recorded_at=at, memo="误报冲正",
                          amount=amount)


def a_hold(*, doctor: str = "D1", amount: str = "5.0", redemption: str = "RD1") -> Entry:
    return redemption_hold_entry(entry_id=next_id("h"), redemption_id=redemption, doctor_id=doctor,
                                 amount=Decimal(amount), at=T0)


def a_confirm(*, doctor: str = "D1", amount: str = "5.0", redemption: str = "RD1") -> Entry:
    return redemption_confirm_entry(entry_id=next_id("c"), redemption_id=redemption, doctor_id=doctor,
                                    alliance_id=ALLIANCE, amount=Decimal(amount), at=T0)


def a_void(*, doctor: str = "D1", amount: str = "5.0", redemption: str = "RD1") -> Entry:
    return redemption_void_entry(entry_id=next_id("v"), redemption_id=redemption, doctor_id=doctor,
                                 amount=Decimal(amount), at=T0)


def an_adjustment(*, account: Account | None = None, amount: str = "1.0", unit: str | None = "U1",
                  at: datetime = T0) -> Entry:
    return adjustment_entry(entry_id=next_id("a"), alliance_id=ALLIANCE, account=account or member("D1"),
                            amount=Decimal(amount), memo="2024年度更正", occurred_at=at, recorded_at=at, unit_id=unit)
