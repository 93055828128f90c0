from decimal import Decimal

import pytest

from libs.kit.errors import InvalidInput
from services.registry.domain.institution import AdminRank, Grade, Institution, Nature, key_specialty_codes
from tests.services.registry.builders import institution_values


def fields_of(exc: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {e["field"] for e in exc.value.errors}


class TestCreate:
    def test_every_form_field(self) -> None:
        inst = Institution.create(**institution_values())
        assert inst.nature is Nature.GOVERNMENT
        assert inst.grade is Grade.THREE_A and inst.grade.label == "三级甲等"
        assert inst.admin_rank is AdminRank.DIVISION
        assert (inst.authorised_beds, inst.open_beds) == (2000, 2300)
        assert inst.staff.total == 4000
        assert inst.key_specialties.national == ("07.01", "07.04")
        assert inst.key_specialties.provincial == ("07.05",)
        assert list(key_specialty_codes(inst)) == ["07.01", "07.04", "07.05"]

    def test_doctor_nurse_ratio_is_derived(self) -> None:
        inst = Institution.create(**institution_values(doctors=800, nurses=1000))
        assert inst.doctor_nurse_ratio == Decimal("1.25")
        assert inst.staff.doctor_nurse_ratio_text == "1:1.25"

    def test_ratio_without_doctors(self) -> None:
        inst = Institution.create(**institution_values(doctors=0))
        assert inst.doctor_nurse_ratio is None

    def test_open_beds_may_exceed_authorised_and_is_flagged(self) -> None:
        assert Institution.create(**institution_values()).open_beds_exceed_authorised

    def test_grade_abbreviation_and_enum_values(self) -> None:
        assert Institution.create(**institution_values(grade="三甲")).grade is Grade.THREE_A
        assert Institution.create(**institution_values(grade="2B")).grade is Grade.TWO_B
        assert Institution.create(**institution_values(nature="社会办")).nature is Nature.SOCIAL


class TestRefusals:
    def test_bad_uscc_names_the_field(self) -> None:
        with pytest.raises(InvalidInput) as exc:
            Institution.create(**institution_values(uscc="91110000600037341M"))
        assert exc.value.field == "uscc"
        assert "统一社会信用代码" in exc.value.detail

    def test_unknown_region(self) -> None:
        with pytest.raises(InvalidInput) as exc:
            Institution.create(**institution_values(region_code="439999"))
        assert fields_of(exc) == {"region_code"}

    def test_historic_region(self) -> None:
        with pytest.raises(InvalidInput, match="撤销"):
            Institution.create(**institution_values(region_code="430122"))

    def test_negative_beds(self) -> None:
        with pytest.raises(InvalidInput, match="不能为负数") as exc:
            Institution.create(**institution_values(open_beds=-1))
        assert fields_of(exc) == {"open_beds"}

    def test_part_above_total(self) -> None:
        with pytest.raises(InvalidInput) as exc:
            Institution.create(**institution_values(staff_total=500, doctors=600, nurses=0, pharmacists=0,
                                                    technicians=0))
        assert fields_of(exc) == {"doctors"}

    def test_parts_sum_above_total(self) -> None:
        with pytest.raises(InvalidInput, match="合计") as exc:
            Institution.create(**institution_values(staff_total=1000, doctors=400, nurses=400, pharmacists=100,
                                                    technicians=200))
        assert fields_of(exc) == {"staff_total"}

    def test_unknown_grade_lists_choices(self) -> None:
        with pytest.raises(InvalidInput, match="三级甲等"):
            Institution.create(**institution_values(grade="特级"))

    def test_all_problems_reported_together(self) -> None:
        with pytest.raises(InvalidInput) as exc:
            Institution.create(**institution_values(name="", uscc="x", nature="?", authorised_beds="1.5"))
        assert fields_of(exc) == {"name", "uscc", "nature", "authorised_beds"}
