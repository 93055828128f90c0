from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from libs.kit.errors import Conflict
from services.points.domain.ledger import unit
from services.points.domain.scheme import CollectivePolicy
from services.points.domain.year_close import (
    close_year,
    collective_points,
    ensure_closable,
    ensure_year_open,
    entry_year,
    member_earnings,
)

from .builders import a_confirm, a_hold, a_reversal, an_adjustment, an_award, an_award_entry

CST = timezone(timedelta(hours=8))
LAST_SECOND_2024 = datetime(2024, 12, 31, 23, 59, 59, tzinfo=CST)
FIRST_SECOND_2025 = datetime(2025, 1, 1, 0, 0, 0, tzinfo=CST)
MID_2024 = datetime(2024, 6, 1, tzinfo=CST)


class TestEntryYear:
    def test_last_second_of_the_year_in_shanghai_is_that_year(self) -> None:
        assert entry_year(an_award_entry(at=LAST_SECOND_2024)) == 2024

    def test_midnight_in_shanghai_is_the_next_year(self) -> None:
        assert entry_year(an_award_entry(at=FIRST_SECOND_2025)) == 2025

    def test_utc_afternoon_of_31_december_is_already_next_year(self) -> None:
        assert entry_year(an_award_entry(at=datetime(2024, 12, 31, 16, 0, tzinfo=timezone.utc))) == 2025


class TestCollectivePoints:
    def test_awards_count_for_the_unit_at_the_time(self) -> None:
        entries = [an_award_entry(doctor="D1", unit="U1", at=MID_2024),
                   an_award_entry(doctor="D1", unit="U2", at=MID_2024 + timedelta(days=30))]
        assert collective_points(entries, 2024) == {"U1": Decimal("5.0"), "U2": Decimal("5.0")}

    def test_reversals_are_subtracted_from_the_original_unit(self) -> None:
        original = an_award_entry(unit="U1", at=MID_2024)
        assert collective_points([original, a_reversal(original, at=MID_2024)], 2024) == {"U1": Decimal("0.0")}

    def test_redemptions_are_not_subtracted(self) -> None:
        entries = [an_award_entry(unit="U1", at=MID_2024), a_hold(redemption="RD-y1"), a_confirm(redemption="RD-y1")]
        assert collective_points(entries, 2024) == {"U1": Decimal("5.0")}

    def test_unit_awards_count(self) -> None:
        entry = an_award_entry(beneficiary=unit("U3"), unit=None, at=MID_2024)
        assert collective_points([entry], 2024) == {"U3": Decimal("5.0")}

    def test_unit_awards_can_be_excluded_by_the_reading(self) -> None:
        entry = an_award_entry(beneficiary=unit("U3"), unit=None, at=MID_2024)
        assert collective_points([entry], 2024, CollectivePolicy(include_unit_awards=False)) == {}

    def test_other_years_are_ignored(self) -> None:
        entries = [an_award_entry(at=LAST_SECOND_2024), an_award_entry(at=FIRST_SECOND_2025)]
        assert collective_points(entries, 2025) == {"U1": Decimal("5.0")}

    def test_adjustments_count_in_their_own_year(self) -> None:
        entries = [an_adjustment(amount="-1.0", at=FIRST_SECOND_2025), an_award_entry(at=FIRST_SECOND_2025)]
        assert collective_points(entries, 2025) == {"U1": Decimal("4.0")}


class TestMemberEarnings:
    def test_earned_minus_reversed_ignoring_redemptions(self) -> None:
        first = an_award_entry(doctor="D1", at=MID_2024)
        entries = [first, an_award_entry(doctor="D1", at=MID_2024),
                   an_award_entry(doctor="D2", award=an_award(rule="R01b", variant="visit"), at=MID_2024),
                   a_reversal(first, at=MID_2024), a_hold(doctor="D1", redemption="RD-y2")]
        assert member_earnings(entries, 2024) == {"D1": Decimal("5.0"), "D2": Decimal("0.5")}


class TestCloseYear:
    def test_cannot_close_before_31_december_has_passed_in_shanghai(self) -> None:
        with pytest.raises(Conflict) as err:
            ensure_closable(2024, LAST_SECOND_2024.astimezone(timezone.utc), closed_years=())
        assert "尚未结束" in err.value.detail

    def test_can_close_from_midnight_in_shanghai(self) -> None:
        ensure_closable(2024, FIRST_SECOND_2025, closed_years=())

    def test_cannot_close_twice(self) -> None:
        with pytest.raises(Conflict):
            ensure_closable(2024, FIRST_SECOND_2025, closed_years={2024})

    def test_snapshot_records_totals_and_the_ledger_head(self) -> None:
        entries = [an_award_entry(doctor="D1", unit="U1", at=MID_2024),
                   an_award_entry(doctor="D2", unit="U2", at=MID_2024),
                   an_award_entry(doctor="D2", unit="U2", at=FIRST_SECOND_2025)]
        snapshot = close_year(entries, year=2024, now=FIRST_SECOND_2025, closed_years=(), head_position=3,
                              head_hash="ab" * 32)
        assert snapshot.unit_totals == (("U1", Decimal("5.0")), ("U2", Decimal("5.0")))
        assert snapshot.member_totals == (("D1", Decimal("5.0")), ("D2", Decimal("5.0")))
        assert (snapshot.entry_count, snapshot.head_position, snapshot.head_hash) == (2, 3, "ab" * 32)


class TestEnsureYearOpen:
    def test_entry_dated_in_a_closed_year_is_refused(self) -> None:
        with pytest.raises(Conflict) as err:
            ensure_year_open(LAST_SECOND_2024, closed_years={2024})
        assert "调整分录" in err.value.detail and err.value.field == "occurred_at"

    def test_entry_in_the_open_year_is_accepted(self) -> None:
        ensure_year_open(FIRST_SECOND_2025, closed_years={2024})
