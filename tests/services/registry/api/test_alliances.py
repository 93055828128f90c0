"""/alliances drafts: naming rule, derived authority, one alliance per specialty and level, draft privacy."""

from __future__ import annotations

from typing import Any

from libs.auth.principal import Role
from services.registry.persistence.tables import alliance_members, alliances
from tests.services.registry.api.support import assert_problem, assert_subset, count_rows, published
from tests.services.registry.conftest import Registry
from tests.services.registry.fixtures import (
    BuiltAlliance,
    build_alliance,
    build_haikou_neurosurgery,
    build_hunan_pediatric,
    contact,
    create_institution,
    figures_body,
    today,
)

OFFICE = Role.ALLIANCE_OFFICE


async def draft_body(registry: Registry, **overrides: Any) -> dict[str, Any]:
    lead = await create_institution(api=registry.api, name="长沙市中心医院", region_code="430102")
    member = await create_institution(api=registry.api, name="望城区人民医院", region_code="430112")
    body: dict[str, Any] = {
        "name": "长沙市儿科专科联盟", "region_code": "430100", "specialty_code": "儿科",
        "service_area": {"whole_province": False, "description": "长沙市"}, "chair": contact("王主席"),
        "secretary": contact("赵秘书", "13800000002"), "specialty_summary": "儿科基本情况",
        "figures": figures_body(year=today().year - 1),
        "members": [{"institution_id": lead["id"], "role": "主席单位", "head": contact("李主任")},
                    {"institution_id": member["id"], "role": "成员单位", "head": contact("周主任")}]}
    body.update(overrides)
    return body


class TestDraft:
    async def test_hunan_draft_is_filed_at_province_level_and_published(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api, stage="draft")
        a = hunan.alliance
        assert (a["status"], a["operating"], a["specialty_name"]) == ("draft", False, "儿科")
        assert a["authority"] == {"region_code": "430000", "level": "province", "level_label": "省级",
                                  "name": "湖南省卫生健康委员会", "basis": a["authority"]["basis"]}
        assert "湖南省" in a["authority"]["basis"]
        roles = sorted(m["role"] for m in a["members"])
        assert roles == ["lead", "member", "member", "member", "vice_chair", "vice_chair"]
        assert a["figures"]["cmi"] == "1.12" and a["service_area"]["label"] == "全省"
        [created] = await published(registry.runtime, "alliance.registry.alliance.status_changed")
        assert_subset(created.data, alliance_id=a["id"], from_status=None, to_status="draft", operating=False,
                      action="create", level="province", authority_region_code="430000", name="湖南省儿科专科联盟")
        joined = await published(registry.runtime, "alliance.registry.member.joined", at_least=6)
        assert {e.data["institution_id"] for e in joined} == {hunan.lead["id"], *(m["id"] for m in hunan.members)}

    async def test_haikou_is_city_level(self, registry: Registry) -> None:
        haikou = await build_haikou_neurosurgery(api=registry.api, stage="draft")
        assert haikou.alliance["authority"]["name"] == "海口市卫生健康委员会"
        assert haikou.alliance["authority"]["level"] == "city"

    async def test_name_rule_names_the_expected_name(self, registry: Registry) -> None:
        body = await draft_body(registry, name="长沙儿童联盟")
        response = await registry.api.call("POST", "/alliances", role=OFFICE, json=body)
        problem = assert_problem(response, 422, "name")
        assert problem["expected"] == "长沙市儿科专科联盟"
        assert await count_rows(registry.runtime, alliances) == 0
        assert await count_rows(registry.runtime, alliance_members) == 0

    async def test_second_alliance_for_the_same_specialty_and_level_is_refused(self, registry: Registry) -> None:
        first = await build_hunan_pediatric(api=registry.api, stage="submitted")
        second = await create_institution(api=registry.api, name="湖南省人民医院", region_code="430102")
        body = await draft_body(registry, name="湖南省儿科专科联盟", region_code="430000",
                                service_area={"whole_province": True})
        body["members"][0]["institution_id"] = second["id"]
        response = await registry.api.call("POST", "/alliances", role=OFFICE, json=body)
        problem = assert_problem(response, 409, "specialty_code")
        assert problem["existing_alliance_id"] == first.id and problem["existing_name"] == "湖南省儿科专科联盟"
        assert await count_rows(registry.runtime, alliances) == 1

    async def test_a_city_alliance_of_the_same_specialty_is_another_level(self, registry: Registry) -> None:
        await build_hunan_pediatric(api=registry.api, stage="approved")
        created = await registry.api.post("/alliances", role=OFFICE, json=await draft_body(registry))
        assert created["authority"]["region_code"] == "430100"

    async def test_roster_problems_name_the_member(self, registry: Registry) -> None:
        body = await draft_body(registry)
        body["members"][1]["role"] = "主席单位"
        assert_problem(await registry.api.call("POST", "/alliances", role=OFFICE, json=body), 422, "members")
        body["members"][1] |= {"role": "理事单位"}
        assert_problem(await registry.api.call("POST", "/alliances", role=OFFICE, json=body), 422, "members[1].role")
        body["members"][1] |= {"role": "成员单位", "institution_id": "no-such-unit"}
        response = await registry.api.call("POST", "/alliances", role=OFFICE, json=body)
        assert_problem(response, 422, "members[1].institution_id")
        body["members"][1] |= {"institution_id": body["members"][0]["institution_id"]}
        assert_problem(await registry.api.call("POST", "/alliances", role=OFFICE, json=body), 422, "members")

    async def test_figures_of_the_wrong_year_and_bad_decimals(self, registry: Registry) -> None:
        body = await draft_body(registry)
        body["figures"]["year"] = today().year
        assert_problem(await registry.api.call("POST", "/alliances", role=OFFICE, json=body), 422, "figures.year")
        body["figures"] |= {"year": today().year - 1, "cmi": "abc", "out_of_area_pct": "120"}
        problem = assert_problem(await registry.api.call("POST", "/alliances", role=OFFICE, json=body), 422,
                                 "figures.cmi")
        assert "figures.out_of_area_pct" in {e["field"] for e in problem["errors"]}
        body["figures"] |= {"cmi": 1.12}
        assert_problem(await registry.api.call("POST", "/alliances", role=OFFICE, json=body), 422, "cmi")

    async def test_whole_province_service_area_needs_the_province(self, registry: Registry) -> None:
        body = await draft_body(registry, service_area={"whole_province": True})
        assert_problem(await registry.api.call("POST", "/alliances", role=OFFICE, json=body), 422, "service_area")

    async def test_unit_admin_may_only_draft_with_its_own_unit_as_lead(self, registry: Registry) -> None:
        body = await draft_body(registry)
        stranger = {"sub": "u9", "institution_id": body["members"][1]["institution_id"]}
        response = await registry.api.call("POST", "/alliances", role=Role.UNIT_ADMIN, scope=stranger, json=body)
        assert_problem(response, 403, "members")


class TestDraftPrivacy:
    async def test_drafts_are_not_shown_to_commissions_or_members(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api, stage="draft")
        path = f"/alliances/{hunan.id}"
        for role, scope in ((Role.HEALTH_COMMISSION, hunan.commission),
                            (Role.UNIT_ADMIN, hunan.unit_admin(hunan.members[0])),
                            (Role.ALLIANCE_OFFICE, {"alliance_id": "another"})):
            assert_problem(await registry.api.call("GET", path, role=role, scope=scope), 404, "alliance_id")
        listed = await registry.api.get("/alliances", role=Role.HEALTH_COMMISSION, scope=hunan.commission)
        assert listed["items"] == []
        for role, scope in ((Role.UNIT_ADMIN, hunan.lead_admin), (OFFICE, hunan.office), (Role.AUDITOR, {})):
            assert (await registry.api.get(path, role=role, scope=scope))["id"] == hunan.id

    async def test_submitted_filing_is_seen_by_its_commission_only(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api, stage="submitted")
        path = f"/alliances/{hunan.id}"
        assert (await registry.api.get(path, role=Role.HEALTH_COMMISSION, scope=hunan.commission))["id"] == hunan.id
        for region in ("430100", "460000"):
            response = await registry.api.call("GET", path, role=Role.HEALTH_COMMISSION,
                                               scope={"region_code": region})
            assert_problem(response, 404)


class TestRevise:
    async def test_returned_filing_is_corrected_and_resubmitted(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api, stage="submitted")
        await registry.api.post(f"/alliances/{hunan.id}/return", role=Role.HEALTH_COMMISSION, scope=hunan.commission,
                                json={"reasons": ["本专科基本情况过于简略"]}, expect=200)
        form = {k: hunan.alliance[k] for k in ("name", "region_code", "specialty_code", "specialty_summary")}
        form |= {"service_area": {"whole_province": True}, "chair": hunan.alliance["chair"],
                 "secretary": hunan.alliance["secretary"], "figures": figures_body(year=today().year - 1),
                 "specialty_summary": "详细说明：人员配备、先进技术……"}
        revised = await registry.api.call("PUT", f"/alliances/{hunan.id}", role=OFFICE, scope=hunan.office,
                                          json=form, expect=200)
        assert revised.json()["specialty_summary"].startswith("详细说明")
        again = await registry.api.post(f"/alliances/{hunan.id}/resubmit", role=OFFICE, scope=hunan.office,
                                        expect=200)
        assert again["status"] == "submitted"

    async def test_a_submitted_filing_cannot_be_edited(self, registry: Registry) -> None:
        built: BuiltAlliance = await build_alliance(
            api=registry.api, name="海口市神经外科专科联盟", region_code="460100", specialty_code="04.02",
            whole_province=False, lead=("海口市人民医院", "460108"), members=[("海口市中医医院", "460106", "成员单位")],
            commission_region="460100", stage="submitted")
        form = {k: built.alliance[k] for k in ("name", "region_code", "specialty_code", "specialty_summary")}
        form |= {"service_area": {"whole_province": False, "description": "海口"}, "chair": contact("甲"),
                 "secretary": contact("乙", "13800000001"), "figures": figures_body(year=today().year - 1)}
        response = await registry.api.call("PUT", f"/alliances/{built.id}", role=OFFICE, scope=built.office,
                                           json=form)
        assert_problem(response, 409, "status")
