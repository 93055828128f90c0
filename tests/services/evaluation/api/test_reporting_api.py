"""蓟州 reporting duties through the API: versioned reports, on time by the end of the due day in Shanghai,
overdue and missing reports listed per unit, targets checked from events and report data."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from libs.kit.clock import SHANGHAI, FixedClock
from tests.harness.services import RunningService

from . import referral_events as rf
from .harness import commission, directory, office, post, problem, publish, unit_admin

A, HOSP, T1, T2 = "jz-peds", "jz-hosp", "jz-t1", "jz-t2"


def clock(svc: RunningService) -> FixedClock:
    found = svc.runtime.clock
    assert isinstance(found, FixedClock)
    return found


@pytest.fixture
async def plan_id(svc: RunningService) -> str:
    svc.runtime.clock = FixedClock(datetime(2024, 1, 20, 9, tzinfo=SHANGHAI))
    await directory(svc, alliance_id=A, region_code="120225", name="蓟州区儿科联盟",
                    units={HOSP: "lead", T1: "member", T2: "member"})
    r = await post(svc.client, f"/alliances/{A}/reporting-plans", {"framework_id": "jizhou-2019",
                                                                     "start": "2024-01-01"}, office(A))
    assert r.status_code == 201, r.text
    return str(r.json()["plan_id"])


async def report(svc: RunningService, plan_id: str, unit: str, at: datetime, **body: Any) -> Any:
    clock(svc).set(at)
    payload = {"duty_id": "monthly-operations", "period": "2024-01", "document_ref": f"{unit}-2024-01.xlsx", **body}
    return await post(svc.client, f"/reporting-plans/{plan_id}/reports", payload, unit_admin(unit))


async def board(svc: RunningService, plan_id: str, headers: dict[str, str], **params: str) -> dict[str, Any]:
    r = await svc.client.get(f"/reporting-plans/{plan_id}/board", params=params, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


class TestBoard:
    async def test_on_time_late_overdue_pending_and_missing(self, svc: RunningService, plan_id: str) -> None:
        on_time = await report(svc, plan_id, T1, datetime(2024, 2, 3, 23, 59, 59, tzinfo=SHANGHAI),
                               counts={"trainings_received": 1})
        late = await report(svc, plan_id, T2, datetime.fromisoformat("2024-02-03T16:00:00+00:00"))
        assert on_time.status_code == late.status_code == 201
        corrected = await report(svc, plan_id, T2, datetime(2024, 2, 5, 9, tzinfo=SHANGHAI),
                                 document_ref="jz-t2-2024-01-v2.xlsx")
        assert corrected.json()["version"] == 2

        clock(svc).set(datetime(2024, 2, 10, 9, tzinfo=SHANGHAI))
        seen = await board(svc, plan_id, office(A))
        states = {(i["duty_id"], i["unit_id"], i["period"]): (i["state"], i["days_late"]) for i in seen["items"]}
        assert states[("monthly-operations", T1, "2024-01")] == ("on_time", 0)
        assert states[("monthly-operations", T2, "2024-01")] == ("late", 1)  # judged on the first version
        assert states[("monthly-operations", HOSP, "2024-01")] == ("overdue", 7)
        assert states[("formation-summary", T1, "2024-01")] == ("overdue", 7)
        assert states[("monthly-operations", T1, "2024-02")] == ("pending", 0)
        assert states[("quarterly-summary", T1, "2024-Q1")] == ("pending", 0)
        assert seen["by_unit"][T2] == {"on_time": 0, "late": 1, "pending": 3, "overdue": 1, "missing": 0}
        current = next(i for i in seen["items"] if i["unit_id"] == T2 and i["duty_id"] == "monthly-operations"
                       and i["period"] == "2024-01")
        assert current["current_version"] == 2 and current["state_label"] == "逾期提交"

        overdue = await board(svc, plan_id, commission("120000"), state="overdue")
        assert sorted((i["unit_id"], i["duty_id"]) for i in overdue["items"]) == [
            (HOSP, "formation-summary"), (HOSP, "monthly-operations"), (T1, "formation-summary"),
            (T2, "formation-summary")]
        own = await board(svc, plan_id, unit_admin(T1), unit_id=T2)  # a unit sees only itself
        assert {i["unit_id"] for i in own["items"]} == {T1}

        closed = await post(svc.client, f"/reporting-plans/{plan_id}/close", None, office(A))
        assert closed.status_code == 200
        clock(svc).set(datetime(2024, 2, 11, tzinfo=SHANGHAI))
        missing = await board(svc, plan_id, office(A), state="missing")
        assert {(i["unit_id"], i["duty_id"], i["period"]) for i in missing["items"]} >= {
            (HOSP, "monthly-operations", "2024-01"), (T1, "formation-summary", "2024-01")}
        after = await report(svc, plan_id, HOSP, datetime(2024, 2, 12, tzinfo=SHANGHAI))
        assert after.status_code == 409


class TestBadReports:
    @pytest.mark.parametrize(("changes", "field", "status"), [
        ({"duty_id": "quarterly-summary", "period": "2024-01"}, "period", 422),
        ({"duty_id": "weekly-table"}, "duty_id", 422),
        ({"period": "2023-12"}, "period", 422),  # before the plan's start
        ({"period": "2024-13"}, "period", 422),
        ({"counts": {"referrals_up": 2}}, "counts.referrals_up", 422),  # counted from referral events
        ({"counts": {"trainings_received": -1}}, "body.counts.trainings_received", 422),
    ])
    async def test_refused(self, svc: RunningService, plan_id: str, changes: dict[str, Any], field: str,
                           status: int) -> None:
        r = await report(svc, plan_id, T1, datetime(2024, 2, 1, tzinfo=SHANGHAI), **changes)
        assert r.status_code == status, r.text
        assert problem(r)["errors"][0]["field"] == field
        listed = await svc.client.get(f"/reporting-plans/{plan_id}/reports", headers=office(A))
        assert listed.json() == []

    async def test_only_units_report_and_only_for_themselves(self, svc: RunningService, plan_id: str) -> None:
        body = {"duty_id": "monthly-operations", "period": "2024-01", "document_ref": "x.xlsx"}
        clock(svc).set(datetime(2024, 2, 1, tzinfo=SHANGHAI))
        assert (await post(svc.client, f"/reporting-plans/{plan_id}/reports", body, office(A))).status_code == 403
        assert (await post(svc.client, f"/reporting-plans/{plan_id}/reports", body, unit_admin("jz-x"))
                ).status_code == 404


class TestTargets:
    async def test_targets_from_referral_events_and_report_counts(self, svc: RunningService, plan_id: str) -> None:
        await publish(svc,
                      rf.arrived(alliance_id=A, direction="up", referring=T1, receiving=HOSP, day=date(2024, 1, 8)),
                      rf.arrived(alliance_id=A, direction="down", referring=HOSP, receiving=T1, day=date(2024, 1, 9)),
                      rf.arrived(alliance_id=A, direction="up", referring=T2, receiving=HOSP, day=date(2024, 1, 9)))
        await report(svc, plan_id, T1, datetime(2024, 2, 2, tzinfo=SHANGHAI), counts={"trainings_received": 1})
        await report(svc, plan_id, HOSP, datetime(2024, 2, 2, tzinfo=SHANGHAI),
                     counts={"prescription_reviews": 1, "city_expert_guidance": 1})
        r = await svc.client.get(f"/reporting-plans/{plan_id}/targets", params={"as_of": "2024-04-10"},
                                 headers=office(A))
        assert r.status_code == 200, r.text
        checks = {(c["target_id"], c["unit_id"], c["period"]): (c["state"], c["counts"]) for c in r.json()}
        assert checks[("two-way-referral", T1, "2024")] == ("达标", {"referrals_up": 1, "referrals_down": 1})
        assert checks[("two-way-referral", T2, "2024")] == ("进行中", {"referrals_up": 1, "referrals_down": 0})
        assert checks[("member-training", T1, "2024-Q1")][0] == "达标"
        assert checks[("member-training", T2, "2024-Q1")] == ("未达标", {"trainings_received": 0})
        assert checks[("prescription-review", HOSP, "2024-01")][0] == "达标"
        assert checks[("prescription-review", HOSP, "2024-02")][0] == "未达标"
        assert checks[("city-expert-guidance", HOSP, "2024")] == ("进行中", {"city_expert_guidance": 1})
        assert not [key for key in checks if key[0] == "member-training" and key[1] == HOSP]  # members only
