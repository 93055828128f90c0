from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from libs.kit.errors import InvalidInput, NotFound
from services.points.domain.scheme import (
    SCHEMES_DIR,
    Mode,
    NotEligible,
    SchemeFileError,
    SchemeRegistry,
    available_schemes,
    compute_award,
    direct_award_for,
    load_scheme,
    parse_scheme,
    scheme_effective_at,
)

from .builders import SCHEME_ID, scheme

SCHEME_TEXT = (SCHEMES_DIR / "hunan-peds-club-2024.toml").read_text(encoding="utf-8")

# (rule, variant, quantity, facts, expected amount) — one row per amount in 附件1 积分细则.
AMOUNTS = [
    ("R01a", "shadowing", 3, {}, "6.0"),
    ("R01b", "visit", 1, {}, "0.5"),
    ("R01b", "visit", 3, {}, "1.5"),
    ("R01c", "expert_visit", 4, {}, "4.0"),
    ("R02a", "booking", 1, {}, "2.0"),
    ("R02b", "outpatient", 1, {}, "2.0"),
    ("R02b", "inpatient", 1, {}, "5.0"),
    ("R02c", "receive", 2, {}, "4.0"),
    ("R02d", "inpatient", 1, {}, "10.0"),
    ("R03a", "article", 1, {"char_count": 400, "first_author": True}, "1.0"),
    ("R03b", "vice_chair", 1, {"appointment_id": "A1"}, "3.0"),
    ("R03b", "standing_member", 1, {"appointment_id": "A2"}, "2.0"),
    ("R03b", "member", 1, {"appointment_id": "A3"}, "1.0"),
    ("R03c", "participation", 1, {}, "1.0"),
    ("R03c", "first_prize", 1, {}, "5.0"),
    ("R03c", "second_prize", 1, {}, "3.0"),
    ("R03c", "third_prize", 1, {}, "2.0"),
    ("R03c", "ungraded_prize", 1, {}, "3.0"),
    ("R04", "expert_visit", 2, {}, "2.0"),
    ("R05", "consult", 1, {}, "2.0"),
    ("R05", "remote_ecg", 1, {}, "1.0"),
    ("R05", "remote_imaging", 1, {}, "1.0"),
    ("R06", "director", 1, {}, "5.0"),
    ("R06", "liaison", 1, {}, "3.0"),
    ("R07", "joined_year", 1, {"project_id": "P1"}, "3.0"),
    ("R07", "concluded_year", 1, {"project_id": "P1"}, "10.0"),
    ("R08", "training_camp", 1, {}, "1.0"),
    ("R08", "defence_committee", 1, {}, "1.0"),
    ("R08", "blind_review", 1, {}, "1.0"),
    ("R09", "equipment_item", 2, {}, "2.0"),
    ("R10", "speaker_or_host", 1, {}, "5.0"),
    ("R10", "free_clinic_or_rounds", 1, {}, "5.0"),
    ("R11", "mentor_pairing", 1, {"pairing_id": "M1", "year": 2024}, "5.0"),
    ("R11", "further_study", 1, {"duration_months": 6}, "10.0"),
    ("R11", "further_study", 1, {"duration_months": "12"}, "10.0"),
    ("R11", "short_training", 1, {"duration_months": 3}, "5.0"),
    ("R11", "short_training", 1, {"duration_months": Decimal("1.5")}, "5.0"),
    ("R12", "residency_training", 1, {}, "1.0"),
    ("R12", "transfer_post_training", 1, {}, "1.0"),
    ("R12", "short_academic", 1, {"duration_days": 3}, "1.0"),
    ("R12", "training_meeting", 1, {}, "1.0"),
    ("R12", "cme_class", 1, {}, "1.0"),
    ("R12", "school_course", 5, {}, "5.0"),
    ("R13", "faculty_pool", 1, {}, "2.0"),
    ("R13", "trainee_exchange", 1, {}, "2.0"),
    ("R13", "teaching", 1, {}, "2.0"),
    ("R13", "class_counsellor", 1, {}, "2.0"),
    ("R14", "expert_visit", 1, {}, "5.0"),
    ("R15", "visit", 1, {}, "10.0"),
    ("R16", "director", 1, {"year": 2024}, "50.0"),
    ("R16", "deputy_director", 1, {"year": 2024}, "30.0"),
    ("R16", "liaison", 1, {"year": 2024}, "10.0"),
]


class TestLoadScheme:
    def test_loads_the_club_scheme_with_every_rule(self) -> None:
        s = load_scheme(SCHEME_ID, 1)
        expected = {"R01a", "R01b", "R01c", "R02a", "R02b", "R02c", "R02d", "R03a", "R03b", "R03c",
                    *(f"R{n:02d}" for n in range(4, 17))}
        assert set(s.rules) == expected
        assert s.effective_from == date(2024, 4, 15)
        assert s.redemption_tiers == (100, 300, 500, 1000)

    def test_every_variant_is_covered_by_the_amount_table(self) -> None:
        s = scheme()
        table = {(rule, variant) for rule, variant, *_ in AMOUNTS}
        assert table == {(r.code, v) for r in s.rules.values() for v in r.variants}

    def test_unknown_version_is_not_found(self) -> None:
        with pytest.raises(NotFound) as err:
            load_scheme(SCHEME_ID, 99)
        assert err.value.field == "scheme_version"

    def test_lists_available_schemes(self) -> None:
        refs = available_schemes()
        assert [(r.scheme_id, r.version) for r in refs] == [(SCHEME_ID, 1)]

    def test_modes_follow_the_source(self) -> None:
        s = scheme()
        assert s.rules["R02b"].mode is Mode.DIRECT
        assert s.rules["R03c"].mode is Mode.BOTH
        assert s.rules["R11"].mode is Mode.CLAIM
        assert s.rules["R12"].mode is Mode.BOTH

    def test_malformed_amount_is_refused_at_load(self) -> None:
        broken = SCHEME_TEXT.replace("amount = 0.5", "amount = 0.25", 1)
        with pytest.raises(SchemeFileError):
            parse_scheme(broken)

    def test_direct_route_to_claim_only_rule_is_refused_at_load(self) -> None:
        broken = SCHEME_TEXT.replace('rule = "R02a"', 'rule = "R01a"').replace(
            'rule = "R01a"\nvariant = "booking"', 'rule = "R01a"\nvariant = "shadowing"')
        with pytest.raises(SchemeFileError):
            parse_scheme(broken)


class TestSchemeEffectiveAt:
    def _registry(self) -> SchemeRegistry:
        v2 = SCHEME_TEXT.replace("version = 1", "version = 2", 1).replace(
            "effective_from = 2024-04-15", "effective_from = 2025-01-01", 1).replace(
            "amount = 0.5", "amount = 1", 1)
        return SchemeRegistry([parse_scheme(SCHEME_TEXT), parse_scheme(v2)])

    def test_picks_the_version_in_force(self) -> None:
        registry = self._registry()
        assert registry.effective_at(SCHEME_ID, date(2024, 12, 31)).version == 1
        assert registry.effective_at(SCHEME_ID, date(2025, 1, 1)).version == 2

    def test_amounts_follow_the_version(self) -> None:
        v2 = self._registry().get(SCHEME_ID, 2)
        assert compute_award(v2, "R01b", "visit", 1).amount == Decimal("1.0")

    def test_before_the_first_effective_date_there_is_no_scheme(self) -> None:
        with pytest.raises(NotFound):
            scheme_effective_at(SCHEME_ID, date(2024, 4, 14))

    def test_on_the_effective_date_the_scheme_applies(self) -> None:
        assert scheme_effective_at(SCHEME_ID, date(2024, 4, 15)).version == 1

    def test_duplicate_versions_are_refused(self) -> None:
        with pytest.raises(SchemeFileError):
            SchemeRegistry([parse_scheme(SCHEME_TEXT), parse_scheme(SCHEME_TEXT)])

    def test_directory_loading(self, tmp_path: Path) -> None:
        (tmp_path / "a.toml").write_text(SCHEME_TEXT, encoding="utf-8")
        assert SchemeRegistry.from_directory(tmp_path).get(SCHEME_ID, 1).version == 1


class TestComputeAward:
    @pytest.mark.parametrize(("rule", "variant", "quantity", "facts", "expected"), AMOUNTS,
                             ids=[f"{r}-{v}-{q}" for r, v, q, *_ in AMOUNTS])
    def test_amount_comes_from_the_scheme(self, rule, variant, quantity, facts, expected) -> None:
        award = compute_award(scheme(), rule, variant, quantity, facts)
        assert award.amount == Decimal(expected)
        assert (award.rule_code, award.variant, award.scheme_id, award.scheme_version) == (rule, variant, SCHEME_ID, 1)

    def test_half_point_is_exact(self) -> None:
        award = compute_award(scheme(), "R01b", "visit", 1)
        assert award.amount == Decimal("0.5") and isinstance(award.amount, Decimal)
        assert str(award.amount) == "0.5"

    def test_single_variant_rule_needs_no_variant(self) -> None:
        assert compute_award(scheme(), "R01b", None, 2).amount == Decimal("1.0")

    def test_explanation_is_chinese_and_shows_the_sum(self) -> None:
        award = compute_award(scheme(), "R01a", "shadowing", 3)
        assert "2.0分/周 × 3周 = 6.0分" in award.explanation_zh
        assert "hunan-peds-club-2024" in award.explanation_zh

    def test_unknown_rule_is_refused_naming_the_field(self) -> None:
        with pytest.raises(InvalidInput) as err:
            compute_award(scheme(), "R99", None, 1)
        assert err.value.field == "rule_code"

    def test_unknown_variant_is_refused_naming_the_field(self) -> None:
        with pytest.raises(InvalidInput) as err:
            compute_award(scheme(), "R02b", "emergency", 1)
        assert err.value.field == "variant"
        assert "outpatient" in err.value.detail

    def test_multi_variant_rule_needs_a_variant(self) -> None:
        with pytest.raises(InvalidInput) as err:
            compute_award(scheme(), "R02b", None, 1)
        assert err.value.field == "variant"

    def test_claim_of_a_direct_only_rule_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as err:
            compute_award(scheme(), "R02b", "inpatient", 1, mode=Mode.CLAIM)
        assert err.value.field == "rule_code"

    def test_both_mode_accepts_a_claim(self) -> None:
        assert compute_award(scheme(), "R03c", "participation", 1, mode=Mode.CLAIM).amount == Decimal("1.0")


class TestQuantity:
    @pytest.mark.parametrize("quantity", [0, -1, True, 1.0, "2", None])
    def test_must_be_a_positive_integer(self, quantity) -> None:
        with pytest.raises(InvalidInput) as err:
            compute_award(scheme(), "R01a", "shadowing", quantity)
        assert err.value.field == "quantity"

    def test_has_an_upper_bound(self) -> None:
        with pytest.raises(InvalidInput):
            compute_award(scheme(), "R01a", "shadowing", 1001)
        assert compute_award(scheme(), "R01a", "shadowing", 1000).amount == Decimal("2000.0")

    def test_once_per_appointment_allows_only_one(self) -> None:
        with pytest.raises(InvalidInput) as err:
            compute_award(scheme(), "R03b", "vice_chair", 2, {"appointment_id": "A1"})
        assert err.value.field == "quantity"


class TestConditions:
    @pytest.mark.parametrize("months", [4, 5, "3.5", Decimal("5.9")])
    def test_r11_gap_between_3_and_6_months_is_refused(self, months) -> None:
        for variant in ("further_study", "short_training"):
            with pytest.raises(NotEligible) as err:
                compute_award(scheme(), "R11", variant, 1, {"duration_months": months})
            assert "3至6个月之间的进修不在积分细则范围内" in err.value.detail
            assert err.value.field == "facts.duration_months"

    def test_further_study_shorter_than_six_months_is_refused(self) -> None:
        with pytest.raises(NotEligible) as err:
            compute_award(scheme(), "R11", "further_study", 1, {"duration_months": 2})
        assert "6个月" in err.value.detail

    def test_short_training_longer_than_three_months_is_refused(self) -> None:
        with pytest.raises(NotEligible):
            compute_award(scheme(), "R11", "short_training", 1, {"duration_months": 7})

    def test_duration_is_required(self) -> None:
        with pytest.raises(InvalidInput) as err:
            compute_award(scheme(), "R11", "further_study", 1, {})
        assert err.value.field == "facts.duration_months"
        assert "进修/培训时长" in err.value.detail

    def test_float_duration_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            compute_award(scheme(), "R11", "further_study", 1, {"duration_months": 6.0})  # type: ignore[dict-item]

    def test_news_under_400_characters_is_refused(self) -> None:
        with pytest.raises(NotEligible):
            compute_award(scheme(), "R03a", "article", 1, {"char_count": 399, "first_author": True})

    def test_news_by_a_second_author_is_refused(self) -> None:
        with pytest.raises(NotEligible):
            compute_award(scheme(), "R03a", "article", 1, {"char_count": 800, "first_author": False})

    def test_consulted_facts_are_kept_for_replay(self) -> None:
        award = compute_award(scheme(), "R11", "further_study", 1, {"duration_months": 8, "hospital": "X"})
        assert award.facts == (("duration_months", 8),)

    def test_once_per_appointment_gives_a_dedupe_key(self) -> None:
        award = compute_award(scheme(), "R03b", "member", 1, {"appointment_id": "A7"})
        assert award.dedupe_key == "R03b|member|appointment_id=A7"

    def test_once_per_fact_is_required(self) -> None:
        with pytest.raises(InvalidInput) as err:
            compute_award(scheme(), "R03b", "member", 1, {})
        assert err.value.field == "facts.appointment_id"

    def test_reading_is_configurable_data(self) -> None:
        # A scheme may choose another reading without code: here R03b once per appointment AND year.
        text = SCHEME_TEXT.replace('once_per = ["appointment_id"]', 'once_per = ["appointment_id", "year"]')
        custom = parse_scheme(text)
        award = compute_award(custom, "R03b", "member", 1, {"appointment_id": "A1", "year": 2025})
        assert award.dedupe_key == "R03b|member|appointment_id=A1|year=2025"


def _referral(**kw: Any) -> dict[str, Any]:
    return {"kind": "referral_completed", "referring_doctor_id": "D1", "receiving_doctor_id": "D2", **kw}


class TestDirectAwardFor:
    @pytest.mark.parametrize(("fact", "rule", "variant", "amount", "who"), [
        (_referral(direction="up", channel="platform", setting="outpatient"), "R02b", "outpatient", "2.0", "D1"),
        (_referral(direction="up", channel="hotline", setting="inpatient"), "R02b", "inpatient", "5.0", "D1"),
        (_referral(direction="up", setting="emergency_transport"), "R02d", "inpatient", "10.0", "D1"),
        (_referral(direction="up", channel="emergency_transport", setting="inpatient"), "R02d", "inpatient",
         "10.0", "D1"),
        (_referral(direction="down", setting="inpatient"), "R02c", "receive", "2.0", "D2"),
        ({"kind": "reserved_slot_booked", "booking_doctor_id": "D3"}, "R02a", "booking", "2.0", "D3"),
        ({"kind": "remote_consult_completed", "service": "consult", "requesting_doctor_id": "D4"}, "R05",
         "consult", "2.0", "D4"),
        ({"kind": "remote_consult_completed", "service": "pharmacist_consult", "requesting_doctor_id": "D4"},
         "R05", "consult", "2.0", "D4"),
        ({"kind": "remote_consult_completed", "service": "ecg", "requesting_doctor_id": "D4"}, "R05",
         "remote_ecg", "1.0", "D4"),
        ({"kind": "remote_consult_completed", "service": "imaging", "requesting_doctor_id": "D4"}, "R05",
         "remote_imaging", "1.0", "D4"),
        ({"kind": "news_published", "char_count": 650, "first_author": True, "author_doctor_id": "D5"}, "R03a",
         "article", "1.0", "D5"),
        ({"kind": "position_appointed", "position": "vice_chair", "appointment_id": "A1", "doctor_id": "D6"},
         "R03b", "vice_chair", "3.0", "D6"),
        ({"kind": "activity_result", "result": "first_prize", "doctor_id": "D7"}, "R03c", "first_prize", "5.0", "D7"),
        ({"kind": "activity_result", "result": "ungraded_prize", "doctor_id": "D7"}, "R03c", "ungraded_prize",
         "3.0", "D7"),
        ({"kind": "school_course_completed", "doctor_id": "D8"}, "R12", "school_course", "1.0", "D8"),
        ({"kind": "annual_goal_reached", "role": "deputy_director", "year": 2024, "doctor_id": "D9"}, "R16",
         "deputy_director", "30.0", "D9"),
    ])
    def test_maps_platform_facts_to_awards(self, fact, rule, variant, amount, who) -> None:
        award = direct_award_for(scheme(), fact)
        assert award is not None
        assert (award.rule_code, award.variant, award.beneficiary_id) == (rule, variant, who)
        assert award.amount == Decimal(amount)

    def test_unknown_kind_earns_nothing(self) -> None:
        assert direct_award_for(scheme(), {"kind": "doctor_registered", "doctor_id": "D1"}) is None

    def test_emergency_transport_outpatient_earns_nothing(self) -> None:
        # The source only scores emergency transfers that are admitted (住院 10分/人次).
        fact: dict[str, Any] = _referral(direction="up", channel="emergency_transport", setting="outpatient")
        assert direct_award_for(scheme(), fact) is None

    def test_short_news_earns_nothing(self) -> None:
        fact: dict[str, Any] = {"kind": "news_published", "char_count": 120, "first_author": True,
                                "author_doctor_id": "D5"}
        assert direct_award_for(scheme(), fact) is None

    def test_position_not_in_the_table_earns_nothing(self) -> None:
        fact: dict[str, Any] = {"kind": "position_appointed", "position": "chair", "appointment_id": "A1",
                                "doctor_id": "D6"}
        assert direct_award_for(scheme(), fact) is None

    def test_missing_beneficiary_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as err:
            direct_award_for(scheme(), {"kind": "reserved_slot_booked"})
        assert err.value.field == "fact.booking_doctor_id"

    def test_quantity_is_taken_from_the_fact(self) -> None:
        fact: dict[str, Any] = {"kind": "remote_consult_completed", "service": "ecg", "requesting_doctor_id": "D4",
                                "quantity": 3}
        award = direct_award_for(scheme(), fact)
        assert award is not None and award.amount == Decimal("3.0")

    def test_appointment_without_id_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            direct_award_for(scheme(), {"kind": "position_appointed", "position": "member", "doctor_id": "D6"})
