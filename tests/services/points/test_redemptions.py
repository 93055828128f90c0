"""Catalog and redemptions: hold + stock in one transaction, confirm or void, and many concurrent
redemptions by the same doctor against real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from libs.kit.clock import FixedClock
from tests.harness.services import RunningService

from .helpers import auditor, award, doctor, office, post, seed


async def add_item(points: RunningService, *, tier: int = 100, stock: int = 100,
                   valid_from: str = "2024-01-01", valid_to: str = "2024-12-31") -> str:
    response = await post(points.client, "/catalog", office(), {
        "name": "儿童体检套餐", "description": "职工子弟优惠体检", "tier": tier, "stock": stock,
        "valid_from": valid_from, "valid_to": valid_to})
    assert response.status_code == 201, response.text
    return str(response.json()["item_id"])


async def earn(points: RunningService, fifties: int, doctor_id: str = "D1") -> None:
    for _ in range(fifties):
        await award(points.client, doctor_id)


async def balance(points: RunningService, doctor_id: str = "D1") -> dict[str, str]:
    response = await points.client.get(f"/members/{doctor_id}/balance", headers=doctor(doctor_id))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def stock(points: RunningService, item_id: str) -> int:
    items = (await points.client.get("/catalog", params={"alliance_id": "hn-peds"}, headers=office())).json()
    return int(next(i for i in items if i["item_id"] == item_id)["stock"])


@pytest.fixture
async def seeded(points: RunningService) -> RunningService:
    await seed(points, units=("U1",), doctors={"D1": "U1", "D2": "U1"})
    return points


class TestCatalog:
    async def test_office_adds_items_at_the_scheme_tiers(self, seeded: RunningService) -> None:
        await add_item(seeded, tier=500)
        items = (await seeded.client.get("/catalog", params={"alliance_id": "hn-peds"}, headers=doctor("D1"))).json()
        assert [(i["tier"], i["stock"]) for i in items] == [(500, 100)]

    @pytest.mark.parametrize("change", [{"tier": 200}, {"stock": -1}, {"valid_to": "2023-01-01"}, {"price": 1}])
    async def test_bad_items_are_refused(self, seeded: RunningService, change: dict[str, object]) -> None:
        body = {"name": "x", "tier": 100, "stock": 1, "valid_from": "2024-01-01", "valid_to": "2024-12-31", **change}
        assert (await post(seeded.client, "/catalog", office(), body)).status_code == 422

    async def test_doctors_cannot_edit_the_catalog(self, seeded: RunningService) -> None:
        body = {"name": "x", "tier": 100, "stock": 1, "valid_from": "2024-01-01", "valid_to": "2024-12-31"}
        assert (await post(seeded.client, "/catalog", doctor("D1"), body)).status_code == 403


class TestRedemption:
    async def test_hold_then_confirm_spends_the_points(self, seeded: RunningService) -> None:
        await earn(seeded, 3)
        item = await add_item(seeded)
        held = await post(seeded.client, "/redemptions", doctor("D1"), {"item_id": item})
        assert held.status_code == 201, held.text
        assert (held.json()["state"], held.json()["balance_after"]) == ("held", "50.0")
        assert await balance(seeded) == {"doctor_id": "D1", "balance": "50.0", "pending": "100.0", "as_of": None}
        rid = held.json()["redemption_id"]
        confirmed = await post(seeded.client, f"/redemptions/{rid}/confirm", office())
        assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
        assert (await balance(seeded))["pending"] == "0.0"
        assert (await post(seeded.client, f"/redemptions/{rid}/void", office())).status_code == 409
        reconcile = (await seeded.client.get("/audit/reconcile", params={"alliance_id": "hn-peds"},
                                             headers=auditor())).json()
        assert (reconcile["issued"], reconcile["held"], reconcile["redeemed"]) == ("150.0", "50.0", "100.0")
        assert reconcile["balanced"] and reconcile["ledger_sums_to_zero"]

    async def test_void_refunds_points_and_stock(self, seeded: RunningService) -> None:
        await earn(seeded, 2)
        item = await add_item(seeded, stock=1)
        held = (await post(seeded.client, "/redemptions", doctor("D1"), {"item_id": item})).json()
        assert await stock(seeded, item) == 0
        out_of_stock = await post(seeded.client, "/redemptions", doctor("D2"), {"item_id": item})
        assert out_of_stock.status_code == 409
        voided = await post(seeded.client, f"/redemptions/{held['redemption_id']}/void", doctor("D1"),
                            {"reason": "不需要了"})
        assert voided.status_code == 200 and voided.json()["state"] == "voided"
        assert await balance(seeded) == {"doctor_id": "D1", "balance": "100.0", "pending": "0.0", "as_of": None}
        assert await stock(seeded, item) == 1

    async def test_insufficient_points_take_no_stock(self, seeded: RunningService) -> None:
        await earn(seeded, 1)
        item = await add_item(seeded)
        response = await post(seeded.client, "/redemptions", doctor("D1"), {"item_id": item})
        assert response.status_code == 409 and "积分余额不足" in response.json()["detail"]
        assert await stock(seeded, item) == 100

    async def test_only_own_account_and_own_alliance(self, seeded: RunningService) -> None:
        await earn(seeded, 3)
        item = await add_item(seeded)
        held = (await post(seeded.client, "/redemptions", doctor("D1"), {"item_id": item})).json()
        rid = held["redemption_id"]
        assert (await seeded.client.get(f"/redemptions/{rid}", headers=doctor("D2"))).status_code == 404
        assert (await post(seeded.client, f"/redemptions/{rid}/void", doctor("D2"))).status_code == 404
        assert (await post(seeded.client, f"/redemptions/{rid}/confirm", doctor("D1"))).status_code == 403
        assert (await post(seeded.client, f"/redemptions/{rid}/confirm", office("other"))).status_code == 404
        assert (await post(seeded.client, "/redemptions", office(), {"item_id": item})).status_code == 403

    async def test_outside_the_validity_window(self, seeded: RunningService) -> None:
        await earn(seeded, 3)
        item = await add_item(seeded, valid_from="2025-01-01", valid_to="2025-12-31")
        response = await post(seeded.client, "/redemptions", doctor("D1"), {"item_id": item})
        assert response.status_code == 409 and "有效期" in response.json()["detail"]


class TestConcurrentRedemptions:
    @pytest.mark.parametrize(("fifties", "tier"), [(7, 100), (10, 300), (3, 1000)])
    async def test_exactly_floor_balance_over_price_succeed(self, seeded: RunningService, fifties: int,
                                                           tier: int) -> None:
        await earn(seeded, fifties)
        item = await add_item(seeded, tier=tier, stock=100)
        responses = await asyncio.gather(*(post(seeded.client, "/redemptions", doctor("D1"), {"item_id": item})
                                           for _ in range(50)))
        statuses = sorted(r.status_code for r in responses)
        expected = fifties * 50 // tier
        assert statuses.count(201) == expected
        assert statuses.count(409) == 50 - expected
        assert all("积分余额不足" in r.json()["detail"] for r in responses if r.status_code == 409)
        after = await balance(seeded)
        assert after["balance"] == f"{fifties * 50 - expected * tier}.0"
        assert after["pending"] == f"{expected * tier}.0"
        assert await stock(seeded, item) == 100 - expected


async def test_balance_as_of_a_past_day(seeded: RunningService) -> None:
    clock = seeded.runtime.clock
    assert isinstance(clock, FixedClock)
    await earn(seeded, 1)
    clock.advance(timedelta(days=2))
    await earn(seeded, 1)
    today = clock.now().date()
    past = await seeded.client.get("/members/D1/balance", params={"as_of": str(today - timedelta(days=2))},
                                   headers=doctor("D1"))
    assert past.json()["balance"] == "50.0" and past.json()["as_of"] == str(today - timedelta(days=2))
    assert (await balance(seeded))["balance"] == "100.0"
    before = await seeded.client.get("/members/D1/balance", params={"as_of": str(date(2024, 1, 1))},
                                     headers=doctor("D1"))
    assert before.json()["balance"] == "0.0"
