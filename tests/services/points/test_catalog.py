"""Catalog maintenance by the alliance office: update stock / validity / wording / active, deactivate (members no
longer see or redeem the item; held redemptions still settle), delete only an item never redeemed; the tier never
changes; bad input is 4xx problem+json with nothing changed; other alliances see 404, other roles 403."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from libs.auth.principal import Role
from libs.auth.testing import as_principal
from tests.harness.services import RunningService

from .helpers import ALLIANCE, auditor, award, doctor, office, post, seed

PROBLEM = "application/problem+json"


async def add_item(points: RunningService, *, tier: int = 100, stock: int = 10, alliance: str = ALLIANCE) -> str:
    response = await post(points.client, "/catalog", office(alliance), {
        "name": "儿童体检套餐", "description": "职工子弟优惠体检", "tier": tier, "stock": stock,
        "valid_from": "2024-01-01", "valid_to": "2024-12-31"})
    assert response.status_code == 201, response.text
    return str(response.json()["item_id"])


async def items(points: RunningService, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    response = await points.client.get("/catalog", params={"alliance_id": ALLIANCE}, headers=headers)
    assert response.status_code == 200, response.text
    return {i["item_id"]: i for i in response.json()}


async def patch(points: RunningService, item_id: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    return await points.client.patch(f"/catalog/{item_id}", headers=headers or office(), json=body)


async def redeem(points: RunningService, item_id: str, doctor_id: str = "D1") -> Any:
    return await post(points.client, "/redemptions", doctor(doctor_id), {"item_id": item_id})


@pytest.fixture
async def seeded(points: RunningService) -> RunningService:
    await seed(points, units=("U1",), doctors={"D1": "U1", "D2": "U1"})
    for _ in range(4):
        await award(points.client, "D1")  # 200 points
    return points


class TestUpdate:
    async def test_office_sets_stock_validity_and_wording(self, seeded: RunningService) -> None:
        item_id = await add_item(seeded)
        response = await patch(seeded, item_id, {"stock": 25, "valid_to": "2025-06-30", "name": "儿童健康体检套餐"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["stock"], body["valid_to"], body["name"], body["tier"], body["active"]) == \
            (25, "2025-06-30", "儿童健康体检套餐", 100, True)
        assert body["updated_at"] is not None
        seen = (await items(seeded, doctor("D1")))[item_id]
        assert (seen["stock"], seen["valid_to"], seen["name"]) == (25, "2025-06-30", "儿童健康体检套餐")

    async def test_a_repeated_update_changes_nothing_more(self, seeded: RunningService) -> None:
        item_id = await add_item(seeded)
        first = await patch(seeded, item_id, {"stock": 3})
        again = await patch(seeded, item_id, {"stock": 3})
        assert first.json()["stock"] == again.json()["stock"] == 3

    BAD: list[tuple[str, dict[str, Any], str]] = [
        ("tier change", {"tier": 500}, "tier"),
        ("price", {"price": 1}, "price"),
        ("negative stock", {"stock": -1}, "stock"),
        ("float stock", {"stock": 1.5}, "stock"),
        ("stock as text", {"stock": "5"}, "stock"),
        ("overflowing stock", {"stock": 10**20}, "stock"),
        ("validity reversed", {"valid_to": "2023-12-31"}, "valid_to"),
        ("validity reversed the other way", {"valid_from": "2025-01-01"}, "valid_to"),
        ("malformed date", {"valid_to": "31/12/2024"}, "valid_to"),
        ("null name", {"name": None}, "name"),
        ("blank name", {"name": "  "}, "name"),
        ("active as text", {"active": "false"}, "active"),
        ("mass assignment of the alliance", {"alliance_id": "other"}, "alliance_id"),
        ("nothing to change", {}, "body"),
    ]

    @pytest.mark.parametrize(("case", "body", "field"), BAD, ids=[c for c, _, _ in BAD])
    async def test_bad_updates_change_nothing(self, seeded: RunningService, case: str, body: dict[str, Any],
                                              field: str) -> None:
        item_id = await add_item(seeded)
        before = (await items(seeded, office()))[item_id]
        response = await patch(seeded, item_id, body)
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert any(field in (e["field"] or "") for e in response.json()["errors"]), response.json()
        assert (await items(seeded, office()))[item_id] == before

    async def test_scope(self, seeded: RunningService) -> None:
        await seed(seeded, alliance="other", units=("U9",), doctors={"D9": "U9"})
        item_id = await add_item(seeded)
        assert (await patch(seeded, item_id, {"stock": 1}, office("other"))).status_code == 404
        assert (await patch(seeded, "item_missing", {"stock": 1})).status_code == 404
        for headers in (doctor("D1"), auditor(), as_principal(Role.UNIT_ADMIN, institution_id="U1")):
            assert (await patch(seeded, item_id, {"stock": 1}, headers)).status_code == 403
        assert (await items(seeded, office()))[item_id]["stock"] == 10

    async def test_stock_edits_and_redemptions_queue_on_the_item(self, seeded: RunningService) -> None:
        item_id = await add_item(seeded, stock=1)
        redeemed, edited = await asyncio.gather(redeem(seeded, item_id), patch(seeded, item_id, {"stock": 5}))
        assert redeemed.status_code == 201 and edited.status_code == 200, (redeemed.text, edited.text)
        assert (await items(seeded, office()))[item_id]["stock"] in (4, 5)  # edit after / before the redemption


class TestDeactivate:
    async def test_members_no_longer_see_or_redeem_it(self, seeded: RunningService) -> None:
        item_id = await add_item(seeded)
        response = await post(seeded.client, f"/catalog/{item_id}/deactivate", office())
        assert response.status_code == 200 and response.json()["active"] is False
        assert item_id not in await items(seeded, doctor("D1"))
        assert (await items(seeded, office()))[item_id]["active"] is False
        assert (await items(seeded, auditor()))[item_id]["active"] is False
        refused = await redeem(seeded, item_id)
        assert refused.status_code == 409 and "停用" in refused.json()["detail"]
        assert (await items(seeded, office()))[item_id]["stock"] == 10

    async def test_reactivated_by_an_update(self, seeded: RunningService) -> None:
        item_id = await add_item(seeded)
        await post(seeded.client, f"/catalog/{item_id}/deactivate", office())
        assert (await patch(seeded, item_id, {"active": True})).json()["active"] is True
        assert (await redeem(seeded, item_id)).status_code == 201

    async def test_held_redemptions_still_settle(self, seeded: RunningService) -> None:
        item_id = await add_item(seeded)
        held = (await redeem(seeded, item_id)).json()
        await post(seeded.client, f"/catalog/{item_id}/deactivate", office())
        confirmed = await post(seeded.client, f"/redemptions/{held['redemption_id']}/confirm", office())
        assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"

    async def test_a_retry_replays_and_roles_are_checked(self, seeded: RunningService) -> None:
        item_id = await add_item(seeded)
        first = await post(seeded.client, f"/catalog/{item_id}/deactivate", office(), key="deact-1")
        again = await post(seeded.client, f"/catalog/{item_id}/deactivate", office(), key="deact-1")
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        assert (await post(seeded.client, f"/catalog/{item_id}/deactivate", doctor("D1"))).status_code == 403
        assert (await post(seeded.client, f"/catalog/{item_id}/deactivate", office("other"))).status_code == 404


class TestDelete:
    async def test_an_item_never_redeemed_can_be_deleted(self, seeded: RunningService) -> None:
        item_id = await add_item(seeded)
        response = await seeded.client.delete(f"/catalog/{item_id}", headers=office())
        assert response.status_code == 204
        assert item_id not in await items(seeded, office())
        assert (await seeded.client.delete(f"/catalog/{item_id}", headers=office())).status_code == 404

    @pytest.mark.parametrize("then", ["held", "voided", "confirmed"])
    async def test_an_item_with_redemptions_is_kept(self, seeded: RunningService, then: str) -> None:
        item_id = await add_item(seeded)
        held = (await redeem(seeded, item_id)).json()
        if then != "held":
            action = "void" if then == "voided" else "confirm"
            assert (await post(seeded.client, f"/redemptions/{held['redemption_id']}/{action}", office())
                    ).status_code == 200
        response = await seeded.client.delete(f"/catalog/{item_id}", headers=office())
        assert response.status_code == 409 and response.headers["content-type"].startswith(PROBLEM)
        assert "停用" in response.json()["detail"]
        assert item_id in await items(seeded, office())
        assert (await seeded.client.get(f"/redemptions/{held['redemption_id']}", headers=doctor("D1"))
                ).json()["item_id"] == item_id

    async def test_scope(self, seeded: RunningService) -> None:
        item_id = await add_item(seeded)
        assert (await seeded.client.delete(f"/catalog/{item_id}", headers=office("other"))).status_code == 404
        assert (await seeded.client.delete(f"/catalog/{item_id}", headers=doctor("D1"))).status_code == 403
        assert item_id in await items(seeded, office())
