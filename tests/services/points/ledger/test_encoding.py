"""The append path's canonical encoder produces exactly the domain's canonical bytes, and reads them back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.points.domain.canonical import canonical_entry
from services.points.domain.entries import Entry
from services.points.domain.ledger import (
    adjustment_entry,
    award_entry,
    member,
    redemption_hold_entry,
    reversal_entry,
    unit,
)
from services.points.domain.scheme import compute_award, load_scheme
from services.points.ledger.encoding import canonical_bytes, decode_entry

SCHEME = load_scheme("hunan-peds-club-2024", 1)
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,30}", fullmatch=True)
texts = st.text(max_size=40)
instants = st.datetimes(min_value=datetime(2024, 4, 15), max_value=datetime(2030, 1, 1),
                        timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=8))]))


@st.composite
def awards(draw: st.DrawFn) -> Entry:
    rule, variant, facts = draw(st.sampled_from([
        ("R02b", "inpatient", {}), ("R01b", "visit", {}),
        ("R03a", "article", {"char_count": 450, "first_author": True}),
        ("R11", "further_study", {"duration_months": Decimal("6.5")}),
        ("R11", "short_training", {"duration_months": "2"}),
        ("R03b", "member", {"appointment_id": "pos-1"}),
    ]))
    quantity = 1 if rule == "R03b" else draw(st.integers(1, 50))
    award = compute_award(SCHEME, rule, variant, quantity, facts)
    beneficiary = draw(st.sampled_from([member, unit]))(draw(ids))
    return award_entry(award, entry_id=draw(ids), alliance_id=draw(ids), beneficiary=beneficiary,
                       unit_id=draw(st.none() | ids), occurred_at=draw(instants), recorded_at=draw(instants),
                       source_event_id=draw(st.none() | texts), actor=draw(st.none() | texts),
                       memo=draw(st.none() | texts))


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    original = draw(awards())
    kind = draw(st.sampled_from(["award", "reversal", "hold", "adjustment"]))
    at = draw(instants)
    if kind == "reversal":
        return reversal_entry(original, entry_id=draw(ids), occurred_at=at, recorded_at=at, memo=draw(texts) or "x")
    if kind == "hold":
        return redemption_hold_entry(entry_id=draw(ids), redemption_id=draw(ids), doctor_id=draw(ids),
                                     amount=Decimal(draw(st.integers(1, 10_000))) / 10, at=at, actor=draw(texts))
    if kind == "adjustment":
        return adjustment_entry(entry_id=draw(ids), alliance_id=draw(ids), account=member(draw(ids)),
                                amount=Decimal(draw(st.integers(-999, 999).filter(bool))) / 10,
                                memo=draw(texts) or "更正", occurred_at=at, recorded_at=at)
    return original


@settings(max_examples=300, deadline=None)
@given(entries(), st.integers(1, 10**12))
def test_fast_encoder_equals_domain_canonical(entry: Entry, position: int) -> None:
    assert canonical_bytes(entry, position) == canonical_entry(entry, position)


@settings(max_examples=200, deadline=None)
@given(entries(), st.integers(1, 10**6))
def test_decoding_the_stored_bytes_gives_back_the_same_bytes(entry: Entry, position: int) -> None:
    decoded = decode_entry(canonical_bytes(entry, position))
    assert canonical_bytes(decoded, position) == canonical_bytes(entry, position)
    assert decoded.amount == entry.amount and decoded.postings == entry.postings


def test_facts_of_equal_value_but_different_type_encode_differently() -> None:
    base = compute_award(SCHEME, "R03a", "article", 1, {"char_count": 450, "first_author": True})
    entry = award_entry(base, entry_id="e1", alliance_id="a", beneficiary=member("d"), unit_id=None,
                        occurred_at=datetime(2024, 5, 1, tzinfo=timezone.utc),
                        recorded_at=datetime(2024, 5, 1, tzinfo=timezone.utc))
    as_int = entry.__class__(**{**{f: getattr(entry, f) for f in entry.__slots__},  # type: ignore[attr-defined]
                                "facts": (("char_count", 450), ("first_author", 1))})
    assert canonical_bytes(entry, 1) == canonical_entry(entry, 1)
    assert canonical_bytes(as_int, 1) == canonical_entry(as_int, 1)
    assert canonical_bytes(entry, 1) != canonical_bytes(as_int, 1)
