"""成员单位 join / leave with effective dates; 理事会 terms: 4 years, expiring list, renewal."""

from __future__ import annotations

from datetime import date, timedelta

from libs.auth.principal import Role
from services.registry.domain.dates import add_years
from tests.services.registry.api.support import assert_problem, assert_subset, published
from tests.services.registry.conftest import Registry
from tests.services.registry.fixtures import (
    build_haikou_neurosurgery,
    build_hunan_pediatric,
    contact,
    create_institution,
    seat,
    today,
)

OFFICE = Role.ALLIANCE_OFFICE


class TestJoinAndLeave:
    async def test_a_unit_joins_and_leaves_with_effective_dates(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        unit = await create_institution(api=registry.api, name="娄底市中心医院", region_code="431302")
        joined_on, left_on = today() - timedelta(days=5), today() + timedelta(days=60)
        member = await registry.api.post(f"/alliances/{hunan.id}/members", role=OFFICE, scope=hunan.office, json={
            "institution_id": unit["id"], "role": "成员单位", "head": contact("刘主任"),
            "joined_on": joined_on.isoformat()})
        assert (member["role"], member["joined_on"], member["left_on"]) == ("member", joined_on.isoformat(), None)
        left = await registry.api.post(f"/alliances/{hunan.id}/members/{unit['id']}/leave", role=OFFICE,
                                       scope=hunan.office, json={"left_on": left_on.isoformat()}, expect=200)
        assert left["left_on"] == left_on.isoformat()
        [event_in] = await published(registry.runtime, "alliance.registry.member.joined",
                                     where=lambda d: d["institution_id"] == unit["id"])
        assert event_in.data == {"alliance_id": hunan.id, "institution_id": unit["id"], "role": "member",
                                 "effective_date": joined_on.isoformat(), "sharing_area": None}
        [event_out] = await published(registry.runtime, "alliance.registry.member.left")
        assert event_out.data == {"alliance_id": hunan.id, "institution_id": unit["id"],
                                  "effective_date": left_on.isoformat()}
        history = await registry.api.get(f"/alliances/{hunan.id}/members?history=true", role=Role.AUDITOR)
        assert len(history) == 7

    async def test_refusals(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        path = f"/alliances/{hunan.id}/members"
        again = {"institution_id": hunan.members[0]["id"], "role": "成员单位", "head": contact("周主任")}
        assert_problem(await registry.api.call("POST", path, role=OFFICE, scope=hunan.office, json=again),
                       409, "institution_id")
        unknown = {**again, "institution_id": "nope"}
        assert_problem(await registry.api.call("POST", path, role=OFFICE, scope=hunan.office, json=unknown),
                       422, "institution_id")
        bad_phone = {**again, "head": contact("周主任", "12345")}
        assert_problem(await registry.api.call("POST", path, role=OFFICE, scope=hunan.office, json=bad_phone),
                       422, "head.phone")
        lead_leaves = await registry.api.call("POST", f"{path}/{hunan.lead['id']}/leave", role=OFFICE,
                                              scope=hunan.office, json={"left_on": today().isoformat()})
        assert_problem(lead_leaves, 409, "role")
        early = await registry.api.call("POST", f"{path}/{hunan.members[0]['id']}/leave", role=OFFICE,
                                        scope=hunan.office, json={"left_on": "2000-01-01"})
        assert_problem(early, 422, "left_on")

    async def test_a_filed_city_alliance_cannot_grow_beyond_its_city(self, registry: Registry) -> None:
        haikou = await build_haikou_neurosurgery(api=registry.api)
        sanya = await create_institution(api=registry.api, name="三亚市人民医院", region_code="460202")
        response = await registry.api.call("POST", f"/alliances/{haikou.id}/members", role=OFFICE,
                                           scope=haikou.office, json={"institution_id": sanya["id"],
                                                                      "role": "成员单位", "head": contact("吴主任")})
        problem = assert_problem(response, 409, "institution_id")
        assert "海南省卫生健康委员会" in problem["detail"]


class TestCouncil:
    async def test_first_term_runs_four_years_from_the_founding_date(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        assert hunan.founded_on is not None
        [term] = await registry.api.get(f"/alliances/{hunan.id}/council-terms", role=OFFICE, scope=hunan.office)
        assert (term["number"], term["starts_on"], term["ends_on"]) == (
            1, hunan.founded_on.isoformat(), add_years(hunan.founded_on, 4).isoformat())
        assert {s["role"] for s in term["seats"]} == {"chair", "vice_chair", "secretary"}

    async def test_expiring_terms_are_listed_ahead_of_time_and_renewal_records_the_new_council(
            self, registry: Registry) -> None:
        founded = add_years(today(), -4) + timedelta(days=30)
        hunan = await build_hunan_pediatric(api=registry.api, founded_on=founded)
        await build_haikou_neurosurgery(api=registry.api)
        due = await registry.api.get("/council-terms/expiring?horizon_days=90", role=Role.HEALTH_COMMISSION,
                                     scope=hunan.commission)
        assert [(d["alliance_id"], d["term_number"], d["days_left"], d["overdue"]) for d in due] == [
            (hunan.id, 1, 30, False)]
        assert await registry.api.get("/council-terms/expiring?horizon_days=10", role=Role.AUDITOR) == []
        council = {"chair": seat("新主席", hunan.lead["id"], "13907319999"),
                   "vice_chairs": [seat("新副主席", hunan.members[1]["id"], "13907319998")],
                   "secretary": seat("新秘书", hunan.lead["id"], "13907319997")}
        renewed = await registry.api.post(f"/alliances/{hunan.id}/renewals", role=OFFICE, scope=hunan.office,
                                          json={"starts_on": today().isoformat(), "council": council}, expect=200)
        assert (renewed["status"], renewed["current_term"]["number"]) == ("operating", 2)
        assert renewed["current_term"]["ends_on"] == add_years(today(), 4).isoformat()
        assert await registry.api.get("/council-terms/expiring", role=Role.AUDITOR) == []
        [event] = await published(registry.runtime, "alliance.registry.alliance.status_changed",
                                  where=lambda d: d["action"] == "renew")
        assert_subset(event.data, from_status="operating", to_status="operating", operating=True)

    async def test_renewal_refusals_name_the_field(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        path = f"/alliances/{hunan.id}/renewals"
        council = {"chair": seat("新主席", hunan.lead["id"], "13907319999"),
                   "secretary": seat("新秘书", hunan.lead["id"], "13907319997")}
        assert hunan.founded_on is not None
        too_early = {"starts_on": hunan.founded_on.isoformat(), "council": council}
        assert_problem(await registry.api.call("POST", path, role=OFFICE, scope=hunan.office, json=too_early),
                       409, "starts_on")
        not_lead = {"starts_on": today().isoformat(),
                    "council": {**council, "chair": seat("新主席", hunan.members[0]["id"], "13907319999")}}
        assert_problem(await registry.api.call("POST", path, role=OFFICE, scope=hunan.office, json=not_lead),
                       422, "council.chair.institution_id")
        twice = {"starts_on": today().isoformat(),
                 "council": {**council, "secretary": seat("新主席", hunan.lead["id"], "13907319999")}}
        assert_problem(await registry.api.call("POST", path, role=OFFICE, scope=hunan.office, json=twice),
                       422, "council")
        bad_horizon = await registry.api.call("GET", "/council-terms/expiring?horizon_days=-1", role=Role.AUDITOR)
        assert_problem(bad_horizon, 422, "horizon_days")

    async def test_renewal_before_opening_is_a_conflict(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api, stage="preparing")
        body = {"starts_on": date(2025, 1, 1).isoformat(), "council": {
            "chair": seat("甲", hunan.lead["id"], "13900000001"), "secretary": seat("乙", hunan.lead["id"],
                                                                                    "13900000002")}}
        response = await registry.api.call("POST", f"/alliances/{hunan.id}/renewals", role=OFFICE,
                                           scope=hunan.office, json=body)
        assert_problem(response, 409)
