"""Prize facts for points rule R03c: participation 1; 1st/2nd/3rd 5/3/2; ungraded 3 (amounts live in points)."""

from __future__ import annotations

from datetime import date

import pytest

from libs.kit.errors import InvalidInput
from services.evaluation.domain.prizes import (
    Activity,
    ActivityKind,
    Participant,
    Prize,
    PrizeFact,
    Variant,
    Win,
    activity_facts,
    case_facts,
)

from .competition_builders import entries

SPORTS = Activity("sports-2024", ActivityKind.SPORTS_MEET, "2024年医联体运动会", date(2024, 10, 12))
PEOPLE = [Participant("d1", "u1"), Participant("d2", "u1"), Participant("d3", "u2")]


class TestActivityFacts:
    def test_participants_and_winners(self) -> None:
        wins = [Win("d1", Prize.FIRST, "跳绳"), Win("d1", Prize.THIRD, "拔河"), Win("d3", Prize.UNGRADED)]
        facts = activity_facts(SPORTS, PEOPLE, wins)
        assert {(f.doctor_id, f.unit_id, f.variant, f.ref) for f in facts} == {
            ("d2", "u1", Variant.PARTICIPATION, ""),
            ("d1", "u1", Variant.FIRST, "跳绳"), ("d1", "u1", Variant.THIRD, "拔河"),
            ("d3", "u2", Variant.UNGRADED, ""),
        }
        assert all(f.rule == "R03c" and f.activity_id == "sports-2024" for f in facts)

    def test_participation_also_for_winners_when_configured(self) -> None:
        facts = activity_facts(SPORTS, PEOPLE, [Win("d1", Prize.SECOND)], participation_also_for_winners=True)
        assert PrizeFact("sports-2024", "d1", "u1", Variant.PARTICIPATION) in facts
        assert PrizeFact("sports-2024", "d1", "u1", Variant.SECOND) in facts
        assert len(facts) == 4

    def test_winner_must_have_taken_part(self) -> None:
        with pytest.raises(InvalidInput) as err:
            activity_facts(SPORTS, PEOPLE, [Win("d9", Prize.FIRST)])
        assert err.value.field == "wins[0]"

    def test_one_participation_per_person(self) -> None:
        with pytest.raises(InvalidInput):
            activity_facts(SPORTS, [*PEOPLE, Participant("d1", "u1")], [])

    def test_one_prize_per_person_and_item(self) -> None:
        with pytest.raises(InvalidInput):
            activity_facts(SPORTS, PEOPLE, [Win("d1", Prize.FIRST, "跳绳"), Win("d1", Prize.SECOND, "跳绳")])


class TestCaseFacts:
    def test_excellent_cases_are_ungraded_prizes_others_participation(self) -> None:
        made = entries(4)
        facts = case_facts("hn-forum-2024", made, {made[0].entry_id: Prize.UNGRADED})
        assert [(f.doctor_id, f.variant, f.ref) for f in facts] == [
            ("doc-0", Variant.UNGRADED, made[0].entry_id),
            ("doc-1", Variant.PARTICIPATION, made[1].entry_id),
            ("doc-2", Variant.PARTICIPATION, made[2].entry_id),
            ("doc-3", Variant.PARTICIPATION, made[3].entry_id),
        ]
        assert facts[0].unit_id == "unit-0"
