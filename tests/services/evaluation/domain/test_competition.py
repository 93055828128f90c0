"""Case entries: eligibility, deadline, 3 per unit, outline limits in characters, originality pledge."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from libs.kit.clock import SHANGHAI
from libs.kit.errors import Conflict, InvalidInput
from services.evaluation.domain.competition import CaseEntry, Category, char_count, submit_case

from .competition_builders import BEFORE_DEADLINE, applicant, call, outline


def submit(*, existing: list[CaseEntry] | None = None, at: datetime = BEFORE_DEADLINE, entry_id: str = "c-new",
           **outline_changes: object) -> CaseEntry:
    return submit_case(call(), applicant(), outline(**outline_changes), entry_id=entry_id, authors=["doc-1"],
                       existing=existing or [], at=at)


def submit_field(field: str, text: str) -> CaseEntry:
    return submit_case(call(), applicant(), outline(**{field: text}), entry_id="c-new", authors=["doc-1"],
                       existing=[], at=BEFORE_DEADLINE)


class TestSubmitCase:
    def test_accepted(self) -> None:
        entry = submit(category="护理")
        assert entry.category is Category.NURSING and entry.unit_id == "unit-1" and entry.authors == ("doc-1",)

    def test_fourth_entry_of_a_unit_is_refused(self) -> None:
        made: list[CaseEntry] = []
        for i, category in enumerate(["管理", "医疗", "护理"]):
            made.append(submit(existing=made, entry_id=f"c{i}", category=category))
        with pytest.raises(Conflict) as err:
            submit(existing=made, entry_id="c4")
        assert err.value.field == "unit_id" and "3个以内" in err.value.detail

    def test_other_units_do_not_count(self) -> None:
        made = [submit_case(call(), applicant(unit_id=f"u{i}"), outline(), entry_id=f"c{i}", authors=["d"],
                            existing=[], at=BEFORE_DEADLINE) for i in range(3)]
        assert submit(existing=made).entry_id == "c-new"

    def test_duplicate_entry_id(self) -> None:
        with pytest.raises(Conflict):
            submit(existing=[submit(entry_id="same")], entry_id="same")


class TestDeadline:
    """3月20日前…逾期不予受理: open through 20 March in Shanghai."""

    def test_last_second_in_shanghai(self) -> None:
        assert submit(at=datetime(2024, 3, 20, 23, 59, 59, tzinfo=SHANGHAI))

    def test_midnight_shanghai_is_late_though_still_the_20th_in_utc(self) -> None:
        with pytest.raises(Conflict, match="逾期不予受理"):
            submit(at=datetime(2024, 3, 20, 16, 0, tzinfo=UTC))

    def test_naive_time(self) -> None:
        with pytest.raises(InvalidInput):
            submit(at=datetime(2024, 3, 15, 10))


class TestEligibility:
    @pytest.mark.parametrize(("member", "pediatrics"), [(False, True), (True, False)])
    def test_member_with_pediatrics_only(self, member: bool, pediatrics: bool) -> None:
        with pytest.raises(InvalidInput) as err:
            submit_case(call(), applicant(association_member=member, has_pediatrics=pediatrics), outline(),
                        entry_id="c", authors=["d"], existing=[], at=BEFORE_DEADLINE)
        assert err.value.field == "unit_id"


class TestOutline:
    @pytest.mark.parametrize(("field", "limit"), [("background", 200), ("implementation", 500), ("results", 300)])
    def test_limit_in_characters_not_bytes(self, field: str, limit: int) -> None:
        at_limit = "儿" * limit  # 3 × limit bytes in UTF-8, still within the limit
        assert len(at_limit.encode()) == 3 * limit
        assert submit_field(field, at_limit)
        with pytest.raises(InvalidInput) as err:
            submit_field(field, at_limit + "科")
        assert err.value.field == field and f"{limit}字以内" in err.value.detail

    def test_combining_marks_count_once_after_nfc(self) -> None:
        assert char_count("e\u0301") == 1 and char_count("  儿科 ") == 2

    def test_pledge_required(self) -> None:
        with pytest.raises(InvalidInput) as err:
            submit(pledge=False)
        assert err.value.field == "pledge"

    @pytest.mark.parametrize("field", ["title", "contact", "background", "implementation", "results"])
    def test_required(self, field: str) -> None:
        with pytest.raises(InvalidInput) as err:
            submit_field(field, "  ")
        assert err.value.field == field

    def test_unknown_category(self) -> None:
        with pytest.raises(InvalidInput) as err:
            submit(category="科研")
        assert err.value.field == "category"

    def test_category_not_in_this_call(self) -> None:
        with pytest.raises(InvalidInput):
            submit_case(call(categories=frozenset({Category.MANAGEMENT})), applicant(), outline(category="护理"),
                        entry_id="c", authors=["d"], existing=[], at=BEFORE_DEADLINE)

    def test_authors_required(self) -> None:
        with pytest.raises(InvalidInput) as err:
            submit_case(call(), applicant(), outline(), entry_id="c", authors=[], existing=[], at=BEFORE_DEADLINE)
        assert err.value.field == "authors"
