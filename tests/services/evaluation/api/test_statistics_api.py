"""Statistics filing (填报): bad values, wrong filer, deadlines and closed periods — 4xx problem+json naming the
field, and nothing stored. Also idempotent replay and what scoring says about a missing input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.services import RunningService

from .harness import auditor, directory, office, post, problem, unit_admin
from .hunan_scenario import open_period

A, LEAD, M1, OUTSIDER = "st-a", "st-lead", "st-m1", "st-x"


@pytest.fixture
async def period(svc: RunningService) -> str:
    await directory(svc, alliance_id=A, units={LEAD: "lead", M1: "member"})
    await directory(svc, alliance_id="st-other", units={OUTSIDER: "lead"})
    return await open_period(svc, A, 2025)


async def stored(svc: RunningService, period_id: str) -> list[dict[str, Any]]:
    r = await svc.client.get(f"/periods/{period_id}/statistics", headers=office(A))
    assert r.status_code == 200
    rows: list[dict[str, Any]] = r.json()
    return rows


class TestBadValues:
    @pytest.mark.parametrize(("filer", "values", "field", "status"), [
        (LEAD, {"lead_outpatient_visits": -1}, "values.lead_outpatient_visits", 422),
        (M1, {"member_outpatient_satisfaction": "100.1"}, "values.member_outpatient_satisfaction", 422),
        (M1, {"member_cmi": "1e3"}, "values.member_cmi", 422),
        (M1, {"member_operations": True}, "values.member_operations", 422),
        (None, {"cooperation_kinds": ["联谊活动"]}, "values.cooperation_kinds[0]", 422),
        (None, {"has_charter": "yes"}, "values.has_charter", 422),
        (None, {"not_a_metric": 1}, "values.not_a_metric", 422),
        (None, {"down_referrals": 3}, "values.down_referrals", 422),  # counted from events, never typed in
        (M1, {"lead_outpatient_visits": 100}, "values.lead_outpatient_visits", 403),
        (LEAD, {"member_operations": 100}, "values.member_operations", 403),
        (M1, {"has_charter": True}, "values.has_charter", 403),
    ])
    async def test_refused_naming_the_field(self, svc: RunningService, period: str, filer: str | None,
                                            values: dict[str, Any], field: str, status: int) -> None:
        headers = unit_admin(filer) if filer else office(A)
        r = await post(svc.client, f"/periods/{period}/statistics", {"values": values}, headers)
        assert r.status_code == status, r.text
        assert problem(r)["errors"][0]["field"] == field
        assert await stored(svc, period) == []

    async def test_a_float_is_refused(self, svc: RunningService, period: str) -> None:
        r = await post(svc.client, f"/periods/{period}/statistics",
                       {"values": {"member_outpatient_satisfaction": 95.5}}, unit_admin(M1))
        assert r.status_code == 422
        assert problem(r)["errors"][0]["field"].startswith("body.values.member_outpatient_satisfaction")

    async def test_one_bad_value_stores_nothing_of_the_batch(self, svc: RunningService, period: str) -> None:
        r = await post(svc.client, f"/periods/{period}/statistics",
                       {"values": {"lead_operations": 10, "lead_discharges": -5}}, unit_admin(LEAD))
        assert r.status_code == 422 and problem(r)["errors"][0]["field"] == "values.lead_discharges"
        assert await stored(svc, period) == []

    async def test_mass_assignment_is_refused(self, svc: RunningService, period: str) -> None:
        r = await post(svc.client, f"/periods/{period}/statistics",
                       {"values": {"lead_operations": 10}, "version": 7, "unit_id": M1}, unit_admin(LEAD))
        assert r.status_code == 422
        assert {e["field"] for e in problem(r)["errors"]} == {"body.version", "body.unit_id"}


class TestDeadlines:
    async def test_after_the_due_date_nothing_is_accepted(self, svc: RunningService) -> None:
        await directory(svc, alliance_id=A, units={LEAD: "lead", M1: "member"})
        late = await open_period(svc, A, 2024, due="2025-01-31")
        r = await post(svc.client, f"/periods/{late}/statistics", {"values": {"lead_operations": 1}},
                       unit_admin(LEAD))
        assert r.status_code == 409
        body = problem(r)
        assert "逾期不予受理" in body["detail"] and body["code"] == "deadline_passed"
        assert await stored(svc, late) == []

    async def test_closed_period(self, svc: RunningService, period: str) -> None:
        r = await post(svc.client, f"/periods/{period}/close", None, office(A))
        assert r.status_code == 200 and r.json()["status"] == "closed"
        r = await post(svc.client, f"/periods/{period}/statistics", {"values": {"lead_operations": 1}},
                       unit_admin(LEAD))
        assert r.status_code == 409 and "已关闭" in problem(r)["detail"]


class TestVersions:
    async def test_versions_and_idempotent_replay(self, svc: RunningService, period: str) -> None:
        body = {"values": {"lead_operations": 10}, "evidence": {"lead_operations": ["病案统计表2025.pdf"]}}
        first = await post(svc.client, f"/periods/{period}/statistics", body, unit_admin(LEAD), key="k-1")
        replay = await post(svc.client, f"/periods/{period}/statistics", body, unit_admin(LEAD), key="k-1")
        assert first.status_code == replay.status_code == 201
        assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == first.json()
        second = await post(svc.client, f"/periods/{period}/statistics", {"values": {"lead_operations": 12}},
                            unit_admin(LEAD))
        assert (first.json()["version"], second.json()["version"]) == (1, 2)
        assert [row["version"] for row in await stored(svc, period)] == [1, 2]

    async def test_missing_idempotency_key(self, svc: RunningService, period: str) -> None:
        r = await svc.client.post(f"/periods/{period}/statistics", json={"values": {"lead_operations": 1}},
                                  headers=unit_admin(LEAD))
        assert r.status_code == 400 and problem(r)["errors"][0]["field"] == "header.Idempotency-Key"

    async def test_a_unit_sees_only_its_own_filings(self, svc: RunningService, period: str) -> None:
        await post(svc.client, f"/periods/{period}/statistics", {"values": {"lead_operations": 1}}, unit_admin(LEAD))
        await post(svc.client, f"/periods/{period}/statistics", {"values": {"member_operations": 1}}, unit_admin(M1))
        r = await svc.client.get(f"/periods/{period}/statistics", headers=unit_admin(M1))
        assert [row["unit_id"] for row in r.json()] == [M1]
        assert len(await stored(svc, period)) == 2


class TestScoringNeedsInputs:
    async def test_a_missing_input_is_named_and_nothing_is_stored(self, svc: RunningService, period: str) -> None:
        r = await post(svc.client, f"/periods/{period}/scorecards", {"kind": "self"}, office(A))
        assert r.status_code == 422
        assert problem(r)["errors"][0]["field"].startswith("inputs.")
        listed = await svc.client.get(f"/alliances/{A}/scorecards", headers=auditor())
        assert listed.json()["items"] == []


class TestScope:
    async def test_outsiders(self, svc: RunningService, period: str) -> None:
        values = {"values": {"lead_operations": 1}}
        assert (await post(svc.client, f"/periods/{period}/statistics", values, unit_admin(OUTSIDER))
                ).status_code == 404
        assert (await post(svc.client, f"/periods/{period}/statistics", values, office("st-other"))
                ).status_code == 404
        assert (await post(svc.client, f"/periods/{period}/statistics", values, auditor())).status_code == 403
        assert (await svc.client.get(f"/periods/{period}", headers=office("st-other"))).status_code == 404
        assert (await svc.client.get(f"/periods/{period}", headers=auditor())).status_code == 200

    async def test_non_operating_alliance_cannot_open_a_period(self, svc: RunningService) -> None:
        await directory(svc, alliance_id="st-prep", units={"st-p1": "lead"}, operating=False)
        r = await post(svc.client, "/alliances/st-prep/periods",
                       {"year": 2025, "framework_id": "hunan-alliance-2024", "statistics_due": "2099-01-01"},
                       office("st-prep"))
        assert r.status_code == 409 and problem(r)["code"] == "alliance_not_operating"

    async def test_one_period_per_year(self, svc: RunningService, period: str) -> None:
        r = await post(svc.client, f"/alliances/{A}/periods",
                       {"year": 2025, "framework_id": "haikou-2021", "statistics_due": "2099-01-01"}, office(A))
        assert r.status_code == 409 and problem(r)["errors"][0]["field"] == "year"
