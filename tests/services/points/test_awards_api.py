"""Office direct awards, reversals and adjustments over HTTP; every bad input is a 4xx problem+json naming the
field, with nothing written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from libs.auth.principal import Role
from libs.auth.testing import as_principal
from services.points.domain.ledger import redemption_hold_entry
from services.points.ledger.append import append_entries
from services.points.ledger.model import NewEntry, new_entry_id
from tests.harness.services import RunningService

from .helpers import ALLIANCE, award, doctor, idem, office, post, seed

PROBLEM = "application/problem+json"


async def ledger_size(points: RunningService) -> int:
    response = await points.client.get("/members/D1/entries", headers=office())
    return len(response.json()["items"])


async def balance(points: RunningService, doctor_id: str = "D1") -> str:
    response = await points.client.get(f"/members/{doctor_id}/balance", headers=office())
    assert response.status_code == 200, response.text
    return str(response.json()["balance"])


@pytest.fixture
async def seeded(points: RunningService) -> RunningService:
    await seed(points, units=("U1", "U2"), doctors={"D1": "U1", "D2": "U2"})
    return points


class TestDirectAward:
    async def test_amount_is_computed_from_the_scheme_and_recorded_with_its_unit(self, seeded: RunningService) -> None:
        body = await award(seeded.client, rule="R03a", variant="article",
                           facts={"char_count": 800, "first_author": True})
        assert (body["amount"], body["rule_code"], body["unit_id"], body["position"]) == ("1.0", "R03a", "U1", 1)
        assert body["stream"] == "member:D1" and body["balance_after"] == "1.0"
        assert await balance(seeded) == "1.0"

    async def test_a_rule_condition_not_met_is_refused_with_its_reason(self, seeded: RunningService) -> None:
        facts = {"char_count": 399, "first_author": True}
        response = await post(seeded.client, "/awards/direct", office(),
                              {"rule": "R03a", "variant": "article", "doctor_id": "D1", "facts": facts})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "facts.char_count"
        assert "400" in response.json()["detail"]

    async def test_a_claim_only_rule_cannot_be_awarded_directly(self, seeded: RunningService) -> None:
        response = await post(seeded.client, "/awards/direct", office(), {"rule": "R01b", "doctor_id": "D1"})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "rule_code"

    async def test_once_per_year_bonus_is_awarded_once(self, seeded: RunningService) -> None:
        await award(seeded.client, facts={"year": "2024"})
        again = await award(seeded.client, facts={"year": "2024"}, expect=409)
        assert "只能获得一次" in again["detail"]

    async def test_the_same_office_reference_is_not_awarded_twice(self, seeded: RunningService) -> None:
        body = {"rule": "R03a", "doctor_id": "D1", "facts": {"char_count": 500, "first_author": True},
                "source_ref": "news-42"}
        assert (await post(seeded.client, "/awards/direct", office(), body)).status_code == 201
        second = await post(seeded.client, "/awards/direct", office(), body)
        assert second.status_code == 409 and second.json()["errors"][0]["field"] == "source_event_id"

    async def test_a_retry_with_the_same_key_replays_the_first_response(self, seeded: RunningService) -> None:
        body = {"rule": "R16", "variant": "liaison", "doctor_id": "D1", "facts": {"year": "2024"}}
        first = await post(seeded.client, "/awards/direct", office(), body, key="k-1")
        again = await post(seeded.client, "/awards/direct", office(), body, key="k-1")
        assert again.status_code == 201 and again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert await balance(seeded) == "10.0"

    async def test_doctors_cannot_award(self, seeded: RunningService) -> None:
        response = await post(seeded.client, "/awards/direct", doctor("D1"), {"rule": "R16", "doctor_id": "D1"})
        assert response.status_code == 403


BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("negative quantity", {"quantity": -1}, "quantity"),
    ("zero quantity", {"quantity": 0}, "quantity"),
    ("float quantity", {"quantity": 1.5}, "quantity"),
    ("overflowing quantity", {"quantity": 10**20}, "quantity"),
    ("quantity above the variant's maximum", {"quantity": 2}, "quantity"),
    ("unknown rule", {"rule": "R99"}, "rule_code"),
    ("unknown variant", {"variant": "president"}, "variant"),
    ("float fact", {"facts": {"year": 2024.5}}, "facts"),
    ("mass assignment of the amount", {"amount": "100"}, "amount"),
    ("mass assignment of points", {"points": 100}, "points"),
    ("unknown doctor", {"doctor_id": "D404"}, "doctor_id"),
    ("doctor of a unit outside the alliance", {"doctor_id": "D9"}, "doctor_id"),
    ("naive datetime", {"occurred_at": "2024-05-01T10:00:00"}, "occurred_at"),
    ("before the scheme", {"occurred_at": "2023-05-01T10:00:00+08:00"}, "occurred_at"),
    ("in the future", {"occurred_at": "2030-05-01T10:00:00+08:00"}, "occurred_at"),
    ("bad doctor id", {"doctor_id": "D 1; drop"}, "doctor_id"),
]


class TestBadInput:
    @pytest.mark.parametrize(("case", "change", "field"), BAD_BODIES, ids=[c for c, _, _ in BAD_BODIES])
    async def test_each_bad_input_is_a_problem_naming_the_field(self, seeded: RunningService, case: str,
                                                               change: dict[str, Any], field: str) -> None:
        await seed(seeded, alliance="other", units=("U9",), doctors={"D9": "U9"})
        body = {"rule": "R16", "variant": "director", "doctor_id": "D1", "facts": {"year": "2024"}, **change}
        response = await post(seeded.client, "/awards/direct", office(), body)
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert any(field in (e["field"] or "") for e in response.json()["errors"]), response.json()
        assert await ledger_size(seeded) == 0

    async def test_an_inactive_alliance_cannot_award(self, points: RunningService) -> None:
        await seed(points, operating=False)
        response = await post(points.client, "/awards/direct", office(),
                              {"rule": "R16", "variant": "director", "doctor_id": "D1", "facts": {"year": "2024"}})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "alliance_id"

    async def test_same_key_with_another_body_is_refused(self, seeded: RunningService) -> None:
        body = {"rule": "R16", "variant": "director", "doctor_id": "D1", "facts": {"year": "2024"}}
        assert (await post(seeded.client, "/awards/direct", office(), body, key="same")).status_code == 201
        other = await post(seeded.client, "/awards/direct", office(), {**body, "doctor_id": "D2"}, key="same")
        assert other.status_code == 422 and other.json()["errors"][0]["field"] == "header.Idempotency-Key"
        assert await balance(seeded, "D2") == "0.0"

    async def test_missing_idempotency_key_is_400(self, seeded: RunningService) -> None:
        response = await seeded.client.post("/awards/direct", headers=office(), json={"rule": "R16",
                                                                                      "doctor_id": "D1"})
        assert response.status_code == 400


class TestReversal:
    async def test_reversal_mirrors_the_original_and_is_done_once(self, seeded: RunningService) -> None:
        original = await award(seeded.client)
        path = f"/entries/{original['entry_id']}/reversals"
        reversed_ = await post(seeded.client, path, office(), {"reason": "重复录入"})
        assert reversed_.status_code == 201, reversed_.text
        body = reversed_.json()
        assert (body["entry_type"], body["reverses"], body["delta"], body["balance_after"]) == \
            ("reversal", original["entry_id"], "-50.0", "0.0")
        assert (await post(seeded.client, path, office(), {"reason": "again"})).status_code == 409

    async def test_reason_is_required_and_amount_bounded(self, seeded: RunningService) -> None:
        original = await award(seeded.client)
        path = f"/entries/{original['entry_id']}/reversals"
        assert (await post(seeded.client, path, office(), {})).status_code == 422
        assert (await post(seeded.client, path, office(), {"reason": "  "})).status_code == 422
        too_much = await post(seeded.client, path, office(), {"reason": "部分冲正", "amount": "60"})
        assert too_much.status_code == 422 and too_much.json()["errors"][0]["field"] == "amount"
        partial = await post(seeded.client, path, office(), {"reason": "部分冲正", "amount": "20.5"})
        assert partial.status_code == 201 and partial.json()["balance_after"] == "29.5"

    async def test_another_alliance_cannot_see_the_entry(self, seeded: RunningService) -> None:
        original = await award(seeded.client)
        response = await post(seeded.client, f"/entries/{original['entry_id']}/reversals", office("other"),
                              {"reason": "x"})
        assert response.status_code == 404

    async def test_redeemed_points_cannot_be_reversed_below_zero(self, seeded: RunningService) -> None:
        original = await award(seeded.client, variant="liaison")  # 10 points
        await award(seeded.client, rule="R03a", variant="article", facts={"char_count": 500, "first_author": True})
        await _spend(seeded, 10)
        response = await post(seeded.client, f"/entries/{original['entry_id']}/reversals", office(),
                              {"reason": "误报"})
        assert response.status_code == 409 and "积分余额不足" in response.json()["detail"]


async def _spend(points: RunningService, tenths: int) -> None:
    hold = redemption_hold_entry(entry_id=new_entry_id(), redemption_id=new_entry_id(), doctor_id="D1",
                                 amount=Decimal(tenths), at=points.runtime.clock.now())
    async with points.runtime.transaction() as session:
        await append_entries(session, [NewEntry(hold, ALLIANCE)], config=points.runtime.ledger)


class TestAdjustment:
    async def test_signed_amount_is_booked_today(self, seeded: RunningService) -> None:
        await award(seeded.client)
        response = await post(seeded.client, "/adjustments", office(),
                              {"doctor_id": "D1", "reason": "更正录入错误", "amount": "-2.5"})
        assert response.status_code == 201, response.text
        assert response.json()["delta"] == "-2.5" and await balance(seeded) == "47.5"

    async def test_amount_computed_from_a_rule(self, seeded: RunningService) -> None:
        response = await post(seeded.client, "/adjustments", office(),
                              {"doctor_id": "D1", "reason": "补记", "rule": "R02b", "variant": "inpatient"})
        assert response.status_code == 201 and response.json()["amount"] == "5.0"
        assert response.json()["rule_code"] == "R02b"

    @pytest.mark.parametrize("amount", ["0", "1e309", "NaN", "0.05", "12345678901234567890", 1.5, "-1000"])
    async def test_bad_amounts(self, seeded: RunningService, amount: object) -> None:
        response = await post(seeded.client, "/adjustments", office(),
                              {"doctor_id": "D1", "reason": "更正", "amount": amount})
        assert 400 <= response.status_code < 500
        assert "amount" in response.json()["errors"][0]["field"]

    async def test_unit_admin_cannot_adjust(self, seeded: RunningService) -> None:
        headers = as_principal(Role.UNIT_ADMIN, institution_id="U1", alliance_id=ALLIANCE)
        response = await seeded.client.post("/adjustments", headers=idem(headers),
                                            json={"doctor_id": "D1", "reason": "x", "amount": "1"})
        assert response.status_code == 403
