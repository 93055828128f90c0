import pytest

from libs.kit.errors import InvalidInput
from services.registry.domain.codes.specialties import (
    all_specialties,
    children,
    find_specialty,
    is_within_specialty,
    parse_specialty_list,
    specialties_version,
    specialty,
)


class TestLookup:
    def test_pediatrics_and_neonatology(self) -> None:
        assert specialty("07").name == "儿科"
        assert specialty("07.01").name == "新生儿专业"
        assert specialty("07.01").parent_code == "07"

    def test_neurosurgery_under_surgery(self) -> None:
        found = specialty("04.02")
        assert (found.name, found.label, found.parent_code) == ("神经外科专业", "神经外科", "04")

    def test_by_name_label_or_alias(self) -> None:
        assert specialty("神经外科专业").code == "04.02"
        assert specialty("神经外科").code == "04.02"
        assert specialty("心血管").code == "03.04"

    def test_other_is_only_found_by_qualified_label(self) -> None:
        assert find_specialty("其他") is None
        assert specialty("儿科其他").code == "07.12"

    def test_unknown_refused(self) -> None:
        with pytest.raises(InvalidInput, match="诊疗科目不存在"):
            specialty("99")

    def test_pediatric_subcodes_complete(self) -> None:
        assert [s.code for s in children("07")] == [f"07.{i:02d}" for i in range(1, 13)]
        assert [s.code for s in children("08")] == [f"08.{i:02d}" for i in range(1, 7)]

    def test_surgical_subcodes_complete(self) -> None:
        assert [s.code for s in children("04")] == [f"04.{i:02d}" for i in range(1, 10)]

    def test_top_level_list(self) -> None:
        top = [s.code for s in all_specialties() if s.parent_code is None]
        expected = [f"{i:02d}" for i in range(1, 29)] + ["30", "31", "32", "50", "51", "52", "69"]
        assert top == expected

    def test_names_are_unambiguous(self) -> None:
        seen: dict[str, str] = {}
        for item in all_specialties():
            if item.name == "其他":
                continue
            for name in item.names:
                assert seen.setdefault(name, item.code) == item.code, name

    def test_version(self) -> None:
        assert specialties_version().startswith("zlkm-")


class TestHelpers:
    def test_within(self) -> None:
        assert is_within_specialty("07.01", "07")
        assert not is_within_specialty("07.01", "04")

    def test_parse_list_from_text(self) -> None:
        assert parse_specialty_list("新生儿专业、小儿呼吸专业，07.01", field="x") == ("07.01", "07.04")

    def test_parse_list_names_field_on_error(self) -> None:
        with pytest.raises(InvalidInput) as exc:
            parse_specialty_list(["07", "不存在科"], field="national_key_specialties")
        assert exc.value.field == "national_key_specialties"
