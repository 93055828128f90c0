"""The maintained projection's reading equals the domain's (``year_close.member_earnings`` / ``collective_points``)
for any mix of entries, and sums to zero (double entry)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from libs.kit.amounts import to_tenths
from libs.kit.clock import business_year
from services.points.domain.accounts import Account
from services.points.domain.entries import Entry
from services.points.domain.ledger import Balances, unit
from services.points.domain.scheme_model import CollectivePolicy
from services.points.domain.year_close import collective_points, member_earnings
from services.points.ledger.config import area_of
from services.points.ledger.projection import ALL_AREAS, ALL_TIME, Deltas, Move
from tests.services.points.domain.builders import (
    ALLIANCE,
    a_confirm,
    a_hold,
    a_reversal,
    a_void,
    an_adjustment,
    an_award,
    an_award_entry,
    next_id,
)

policies = st.builds(CollectivePolicy, subtract_redemptions=st.booleans(), include_unit_awards=st.booleans(),
                     include_adjustments=st.booleans())


@st.composite
def histories(draw: st.DrawFn) -> list[Entry]:
    """A valid history (checked by the domain aggregate) of awards, reversals, adjustments and redemptions."""
    balances, entries = Balances(), []
    for _ in range(draw(st.integers(1, 25))):
        doctor, year = draw(st.sampled_from(["D1", "D2", "D3"])), draw(st.sampled_from([2024, 2025]))
        at = an_award_entry().occurred_at.replace(year=year)
        kind = draw(st.sampled_from(["award", "unit_award", "reverse", "adjust", "redeem"]))
        candidates: list[Entry] = []
        if kind == "award":
            candidates = [an_award_entry(doctor=doctor, unit=draw(st.sampled_from(["U1", "U2", None])), at=at)]
        elif kind == "unit_award":
            candidates = [an_award_entry(beneficiary=unit("U3"), unit=None, at=at)]
        elif kind == "reverse" and (reversible := [e for e in entries if e.entry_type.value in (
                "award", "adjustment") and e.debit.account.kind.value == "issuing"]):
            candidates = [a_reversal(draw(st.sampled_from(reversible)), at=at)]
        elif kind == "adjust":
            candidates = [an_adjustment(amount=draw(st.sampled_from(["1.0", "-0.5"])), at=at)]
        elif kind == "redeem":
            rid = next_id("RD")
            end = draw(st.sampled_from([a_confirm, a_void]))
            candidates = [a_hold(doctor=doctor, amount="2.0", redemption=rid),
                          end(doctor=doctor, amount="2.0", redemption=rid)]
        for entry in candidates:
            try:
                balances.apply(entry)
            except Exception:
                break
            entries.append(entry)
    return entries


def deltas_of(entries: list[Entry], policy: CollectivePolicy) -> Deltas:
    deltas = Deltas(policy)
    for e in entries:
        deltas.add(Move(e.entry_id, e.entry_type.value, str(e.debit.account), str(e.credit.account),
                        to_tenths(e.amount), e.unit_id, ALLIANCE, business_year(e.occurred_at),
                        area_of(e.scheme_id, e.scheme_version, e.rule_code)))
    return deltas


def _tenths(mapping: dict[str, Decimal]) -> dict[str, int]:
    return {k: to_tenths(v) for k, v in mapping.items() if v}


@settings(max_examples=150, deadline=None)
@given(histories(), policies)
def test_yearly_earnings_equal_the_domain_reading(entries: list[Entry], policy: CollectivePolicy) -> None:
    deltas = deltas_of(entries, policy)
    for year in (2024, 2025):
        members = {k[4]: v for k, v in deltas.earnings.items() if k[1:4] == ("member", year, ALL_AREAS) and v}
        units = {k[4]: v for k, v in deltas.earnings.items() if k[1:4] == ("unit", year, ALL_AREAS) and v}
        assert members == _tenths(member_earnings(entries, year))
        assert units == _tenths(collective_points(entries, year, policy))


@settings(max_examples=100, deadline=None)
@given(histories(), policies)
def test_balances_sum_to_zero_and_match_the_domain_aggregate(entries: list[Entry], policy: CollectivePolicy) -> None:
    deltas = deltas_of(entries, policy)
    assert sum(deltas.balances.values()) == 0
    domain = Balances.replay(entries)
    for account, tenths in deltas.balances.items():
        assert to_tenths(domain.balance(Account.parse(account))) == tenths


@settings(max_examples=100, deadline=None)
@given(histories(), policies)
def test_all_time_and_areas_add_up(entries: list[Entry], policy: CollectivePolicy) -> None:
    deltas = deltas_of(entries, policy)
    per_year: dict[tuple[str, str], int] = defaultdict(int)
    for (_, scope, year, area, subject), value in deltas.earnings.items():
        if year != ALL_TIME and area == ALL_AREAS:
            per_year[(scope, subject)] += value
    for (scope, subject), value in per_year.items():
        assert deltas.earnings[(ALLIANCE, scope, ALL_TIME, ALL_AREAS, subject)] == value


def test_an_award_counts_in_its_rule_area() -> None:
    entry = an_award_entry(award=an_award(rule="R05", variant="consult"))
    deltas = deltas_of([entry], CollectivePolicy())
    assert deltas.earnings[(ALLIANCE, "member", 2024, "clinical", "D1")] == 20
