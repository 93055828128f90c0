from datetime import date

import pytest

from libs.kit.errors import Conflict, InvalidInput
from services.registry.domain.council import (
    Council,
    CouncilRole,
    CouncilSeat,
    expiring_terms,
    first_term,
    renew_term,
)
from tests.services.registry.builders import contact, random_id

LEAD = "inst-lead"


def seat(role: CouncilRole, *, name: str | None = None, institution_id: str = LEAD) -> CouncilSeat:
    return CouncilSeat(role, contact(name=name or random_id("p"), phone="13900139000"), institution_id)


def council(*, vice: int = 2) -> Council:
    seats = [seat(CouncilRole.CHAIR), seat(CouncilRole.SECRETARY)]
    seats += [seat(CouncilRole.VICE_CHAIR, institution_id=random_id()) for _ in range(vice)]
    return Council.from_seats(seats)


class TestCouncil:
    def test_one_chair_any_vice_one_secretary(self) -> None:
        assert len(council(vice=0).vice_chairs) == 0
        assert len(council(vice=3).vice_chairs) == 3

    def test_two_chairs_refused(self) -> None:
        with pytest.raises(InvalidInput, match="主席1名"):
            Council.from_seats([seat(CouncilRole.CHAIR), seat(CouncilRole.CHAIR), seat(CouncilRole.SECRETARY)])

    def test_no_secretary_refused(self) -> None:
        with pytest.raises(InvalidInput, match="秘书"):
            Council.from_seats([seat(CouncilRole.CHAIR)])

    def test_same_person_twice_refused(self) -> None:
        with pytest.raises(InvalidInput, match="重复任职"):
            Council.from_seats([seat(CouncilRole.CHAIR, name="王"), seat(CouncilRole.SECRETARY, name="王")])


class TestTerm:
    def test_four_years_from_founding_date(self) -> None:
        term = first_term(alliance_id="a", founded_on=date(2024, 12, 16), council=council())
        assert (term.number, term.ends_on) == (1, date(2028, 12, 16))
        assert term.is_current_on(date(2028, 12, 15))
        assert not term.is_current_on(date(2028, 12, 16))

    def test_leap_day(self) -> None:
        assert first_term(alliance_id="a", founded_on=date(2096, 2, 29), council=council()).ends_on == \
            date(2100, 2, 28)

    def test_renewal_is_next_term(self) -> None:
        term = first_term(alliance_id="a", founded_on=date(2021, 10, 31), council=council())
        renewed = renew_term(term, starts_on=date(2025, 10, 20), council=council(), lead_institution_id=LEAD)
        assert (renewed.number, renewed.ends_on) == (2, date(2029, 10, 20))

    def test_renewal_before_current_start_refused(self) -> None:
        term = first_term(alliance_id="a", founded_on=date(2021, 10, 31), council=council())
        with pytest.raises(Conflict, match="换届日期"):
            renew_term(term, starts_on=date(2021, 10, 31), council=council())

    def test_chair_from_other_unit_refused(self) -> None:
        term = first_term(alliance_id="a", founded_on=date(2021, 10, 31), council=council())
        with pytest.raises(InvalidInput, match="牵头"):
            renew_term(term, starts_on=date(2025, 10, 1), council=council(), lead_institution_id="other")


class TestExpiring:
    def test_lists_terms_ending_within_horizon_soonest_first(self) -> None:
        today = date(2025, 9, 1)
        soon = first_term(alliance_id="soon", founded_on=date(2021, 10, 31), council=council())
        later = first_term(alliance_id="later", founded_on=date(2022, 6, 1), council=council())
        overdue = first_term(alliance_id="overdue", founded_on=date(2021, 8, 1), council=council())
        got = expiring_terms([later, soon, overdue], today=today, horizon_days=90)
        assert [(e.term.alliance_id, e.days_left, e.overdue) for e in got] == [
            ("overdue", -31, True), ("soon", 60, False)]

    def test_renewed_alliance_not_listed(self) -> None:
        old = first_term(alliance_id="a", founded_on=date(2021, 10, 31), council=council())
        new = renew_term(old, starts_on=date(2025, 8, 1), council=council())
        assert expiring_terms([old, new], today=date(2025, 9, 1), horizon_days=90) == []

    def test_negative_horizon_refused(self) -> None:
        with pytest.raises(InvalidInput):
            expiring_terms([], today=date(2025, 1, 1), horizon_days=-1)
