from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libs.kit.errors import InvalidInput
from services.points.domain.leaderboard import paginate, rank, standing_of


def _d(value: str) -> Decimal:
    return Decimal(value)


class TestRank:
    def test_competition_ranking_with_ties(self) -> None:
        standings = rank({"D1": _d("10.0"), "D2": _d("8.5"), "D3": _d("8.5"), "D4": _d("3.0")})
        assert [(s.rank, s.key) for s in standings] == [(1, "D1"), (2, "D2"), (2, "D3"), (4, "D4")]

    def test_ties_are_ordered_by_id(self) -> None:
        standings = rank([("U9", _d("5.0")), ("U1", _d("5.0")), ("U5", _d("5.0"))])
        assert [s.key for s in standings] == ["U1", "U5", "U9"]
        assert {s.rank for s in standings} == {1}

    def test_empty(self) -> None:
        assert rank({}) == []

    def test_standing_of(self) -> None:
        standings = rank({"D1": _d("1.0"), "D2": _d("2.0")})
        mine = standing_of(standings, "D1")
        assert mine is not None and mine.rank == 2
        assert standing_of(standings, "D9") is None

    @given(st.dictionaries(st.text(min_size=1, max_size=4), st.integers(0, 20).map(lambda n: Decimal(n) / 2)))
    def test_rank_is_one_plus_the_number_strictly_ahead(self, points) -> None:
        for standing in rank(points):
            ahead = sum(1 for value in points.values() if value > standing.points)
            assert standing.rank == ahead + 1


class TestPaginate:
    def test_pages(self) -> None:
        page = paginate(list(range(45)), page=3, size=20)
        assert page.items == tuple(range(40, 45))
        assert (page.total, page.pages, page.has_next) == (45, 3, False)

    def test_beyond_the_last_page_is_empty(self) -> None:
        assert paginate([1, 2], page=5, size=2).items == ()

    @pytest.mark.parametrize(("page", "size", "field"), [(0, 10, "page"), (1, 0, "size"), (1, 101, "size"),
                                                          (True, 10, "page")])
    def test_bad_parameters_are_refused(self, page, size, field) -> None:
        with pytest.raises(InvalidInput) as err:
            paginate([1], page=page, size=size)
        assert err.value.field == field
