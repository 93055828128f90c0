"""Statements (keyset pages, rule labels, running balance) and leaderboards (ties, pages, areas, all time)."""

from __future__ import annotations

from typing import Any

import pytest

from libs.auth.principal import Role
from libs.auth.testing import as_principal
from tests.harness.services import RunningService

from .helpers import award, doctor, office, post, seed

ARTICLE = {"rule": "R03a", "variant": "article", "facts": {"char_count": 500, "first_author": True}}


async def board(points: RunningService, scope: str = "individual", **params: Any) -> dict[str, Any]:
    response = await points.client.get(f"/leaderboards/{scope}", params={"alliance_id": "hn-peds", **params},
                                       headers=doctor("D1"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def standings(body: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(i["rank"], i["id"], i["points"]) for i in body["items"]]


class TestStatement:
    async def test_newest_first_in_keyset_pages_with_labels_and_running_balance(self, points: RunningService) -> None:
        await seed(points)
        for _ in range(5):
            await award(points.client, **ARTICLE)
        first = (await points.client.get("/members/D1/entries", params={"limit": 2}, headers=doctor("D1"))).json()
        assert [line["position"] for line in first["items"]] == [5, 4]
        assert [line["balance_after"] for line in first["items"]] == ["5.0", "4.0"]
        assert first["items"][0]["rule_label"].startswith("R03a") and first["items"][0]["entry_label"] == "赋分"
        second = (await points.client.get("/members/D1/entries", params={"limit": 2, "cursor": first["next_cursor"]},
                                          headers=doctor("D1"))).json()
        third = (await points.client.get("/members/D1/entries", params={"limit": 2, "cursor": second["next_cursor"]},
                                         headers=doctor("D1"))).json()
        assert [line["position"] for line in second["items"] + third["items"]] == [3, 2, 1]
        assert third["next_cursor"] is None

    async def test_statement_scope(self, points: RunningService) -> None:
        await seed(points, units=("U1", "U2"), doctors={"D1": "U1", "D2": "U2"})
        ok = {"doctor": doctor("D1"), "unit admin": as_principal(Role.UNIT_ADMIN, institution_id="U1"),
              "office": office(), "auditor": as_principal(Role.AUDITOR)}
        for who, headers in ok.items():
            assert (await points.client.get("/members/D1/entries", headers=headers)).status_code == 200, who
        hidden = {"other doctor": doctor("D2"), "other unit": as_principal(Role.UNIT_ADMIN, institution_id="U2"),
                  "other office": office("other")}
        for who, headers in hidden.items():
            response = await points.client.get("/members/D1/entries", headers=headers)
            assert response.status_code == 404 and response.json()["errors"][0]["field"] == "doctor_id", who
        commission = as_principal(Role.HEALTH_COMMISSION, region_code="430000")
        assert (await points.client.get("/members/D1/balance", headers=commission)).status_code == 403
        assert (await points.client.get("/members/D1/entries", params={"limit": 10**9},
                                        headers=doctor("D1"))).status_code == 422


class TestLeaderboards:
    @pytest.fixture
    async def ranked(self, points: RunningService) -> RunningService:
        # D1 50 + 1 (article), D2 50 + 1, D3 10 + 1 article... ties between D1 and D2.
        await seed(points, units=("U1", "U2"), doctors={"D1": "U1", "D2": "U1", "D3": "U2", "D4": "U2"})
        for doctor_id in ("D1", "D2"):
            await award(points.client, doctor_id)
            await award(points.client, doctor_id, **ARTICLE)
        await award(points.client, "D3", variant="liaison")
        await award(points.client, "D4", **ARTICLE)
        return points

    async def test_ties_share_a_rank_and_the_next_rank_skips(self, ranked: RunningService) -> None:
        body = await board(ranked, year=2024)
        assert standings(body) == [(1, "D1", "51.0"), (1, "D2", "51.0"), (3, "D3", "10.0"), (4, "D4", "1.0")]
        assert body["items"][0]["name"] == "医师D1" and not body["frozen"] and not body["has_next"]

    async def test_pages_keep_ranks_across_the_boundary(self, ranked: RunningService) -> None:
        first, second = await board(ranked, size=1), await board(ranked, size=1, page=2)
        third = await board(ranked, size=1, page=3)
        assert standings(first) + standings(second) + standings(third) == \
            [(1, "D1", "51.0"), (1, "D2", "51.0"), (3, "D3", "10.0")]
        assert first["has_next"] and second["has_next"]

    async def test_collective_board_sums_the_units(self, ranked: RunningService) -> None:
        body = await board(ranked, "collective", year=2024)
        assert standings(body) == [(1, "U1", "102.0"), (2, "U2", "11.0")]
        assert body["items"][0]["name"] == "U1 医院"

    async def test_area_filter(self, ranked: RunningService) -> None:
        management = await board(ranked, area="管理品牌")
        assert standings(management) == [(1, "D1", "1.0"), (1, "D2", "1.0"), (1, "D4", "1.0")]
        assert standings(await board(ranked, area="bonus"))[0] == (1, "D1", "50.0")
        assert (await ranked.client.get("/leaderboards/individual", params={"alliance_id": "hn-peds",
                                                                             "area": "nowhere"},
                                        headers=doctor("D1"))).status_code == 422

    async def test_all_time_and_other_years(self, ranked: RunningService) -> None:
        assert standings(await board(ranked))[:2] == [(1, "D1", "51.0"), (1, "D2", "51.0")]
        assert standings(await board(ranked, year=2025)) == []

    async def test_reversal_lowers_the_standing(self, ranked: RunningService) -> None:
        entries = (await ranked.client.get("/members/D2/entries", headers=office())).json()["items"]
        bonus = next(e for e in entries if e["rule_code"] == "R16")
        assert (await post(ranked.client, f"/entries/{bonus['entry_id']}/reversals", office(),
                           {"reason": "未达标"})).status_code == 201
        assert standings(await board(ranked, year=2024))[:2] == [(1, "D1", "51.0"), (2, "D3", "10.0")]

    async def test_outsiders_do_not_see_the_board(self, ranked: RunningService) -> None:
        response = await ranked.client.get("/leaderboards/individual", params={"alliance_id": "hn-peds"},
                                           headers=doctor("X", alliance="other", unit="U9"))
        assert response.status_code == 404
        commission = as_principal(Role.HEALTH_COMMISSION, region_code="430000")
        assert (await ranked.client.get("/leaderboards/individual", params={"alliance_id": "hn-peds"},
                                        headers=commission)).status_code == 200
        far = as_principal(Role.HEALTH_COMMISSION, region_code="440000")
        assert (await ranked.client.get("/leaderboards/individual", params={"alliance_id": "hn-peds"},
                                        headers=far)).status_code == 404
