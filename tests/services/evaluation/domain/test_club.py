"""Club annual evaluation of member units from frozen collective points (our bands, kept as data)."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

import pytest

from libs.kit.errors import InvalidInput
from services.evaluation.domain.catalog import load_framework
from services.evaluation.domain.club import ClubFramework, evaluate_units

D = Decimal


def club() -> ClubFramework:
    return cast(ClubFramework, load_framework("club-annual-2024"))


class TestEvaluateUnits:
    def test_ranking_and_bands(self) -> None:
        points = {"u1": D("120.5"), "u2": 300, "u3": "80", "u4": D("80.0"), "u5": 0, "u6": 10, "u7": 5,
                  "u8": 3, "u9": 2, "u10": 1}
        rows = evaluate_units(club(), year=2024, points_by_unit=points)
        got = [(r.unit_id, r.points, r.rank, r.band) for r in rows]
        # 10 units: 优秀 = rank ≤ 2, 良好 = rank ≤ 5, 合格 = points > 0, else 待提升
        assert got == [
            ("u2", D("300.0"), 1, "优秀"), ("u1", D("120.5"), 2, "优秀"),
            ("u3", D("80.0"), 3, "良好"), ("u4", D("80.0"), 3, "良好"),
            ("u6", D("10.0"), 5, "良好"), ("u7", D("5.0"), 6, "合格"), ("u8", D("3.0"), 7, "合格"),
            ("u9", D("2.0"), 8, "合格"), ("u10", D("1.0"), 9, "合格"), ("u5", D("0.0"), 10, "待提升"),
        ]
        assert all(r.units_ranked == 10 and r.year == 2024 for r in rows)

    def test_a_small_club_still_has_one_excellent_unit(self) -> None:
        # 3 units: 优秀 cut-off max(1, floor(0.6)) = 1; 良好 cut-off max(1, floor(1.5)) = 1 (taken by 优秀)
        rows = evaluate_units(club(), year=2025, points_by_unit={"a": 5, "b": 4, "c": 3})
        assert [r.band for r in rows] == ["优秀", "合格", "合格"]

    def test_zero_points_are_never_excellent(self) -> None:
        assert evaluate_units(club(), year=2025, points_by_unit={"a": 0})[0].band == "待提升"

    @pytest.mark.parametrize("bad", [-1, 1.5, "1.25"])
    def test_bad_points(self, bad: object) -> None:
        with pytest.raises(InvalidInput) as err:
            evaluate_units(club(), year=2025, points_by_unit={"a": bad})
        assert err.value.field == "points_by_unit.a"

    def test_before_the_scheme(self) -> None:
        with pytest.raises(InvalidInput):
            evaluate_units(club(), year=2023, points_by_unit={"a": 1})

    def test_empty(self) -> None:
        with pytest.raises(InvalidInput):
            evaluate_units(club(), year=2024, points_by_unit={})
