"""备案 lifecycle through the API: audited transitions, who may decide, illegal steps, events with operating flag."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from libs.auth.principal import Role
from tests.services.registry.api.support import assert_problem, assert_subset, published
from tests.services.registry.conftest import Registry
from tests.services.registry.fixtures import (
    build_haikou_neurosurgery,
    build_hunan_pediatric,
    seat,
    today,
    upload_documents,
)

HC, OFFICE = Role.HEALTH_COMMISSION, Role.ALLIANCE_OFFICE
STATUS_CHANGED = "alliance.registry.alliance.status_changed"


class TestAuditTrail:
    async def test_every_step_is_recorded_and_published_with_the_operating_flag(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        trail = await registry.api.get(f"/alliances/{hunan.id}/transitions", role=Role.AUDITOR)
        assert [(t["action"], t["from_status"], t["to_status"]) for t in trail] == [
            ("create", None, "draft"), ("submit", "draft", "submitted"), ("approve", "submitted", "approved"),
            ("start_preparing", "approved", "preparing"), ("open", "preparing", "operating")]
        approval = trail[2]
        assert (approval["actor"], approval["actor_role"]) == ("health_commission:wjw-430000", "health_commission")
        assert trail[4]["details"] == {"founded_on": hunan.founded_on.isoformat()}
        events = await published(registry.runtime, STATUS_CHANGED, at_least=5)
        assert [(e.data["to_status"], e.data["operating"]) for e in events] == [
            ("draft", False), ("submitted", False), ("approved", False), ("preparing", False), ("operating", True)]
        assert events[-1].data["founded_on"] == hunan.founded_on.isoformat()

    async def test_return_keeps_the_reasons(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api, stage="submitted")
        returned = await registry.api.post(f"/alliances/{hunan.id}/return", role=HC, scope=hunan.commission,
                                           json={"reasons": ["缺少可行性报告", "指标数据不完整"]}, expect=200)
        assert returned["status"] == "returned"
        trail = await registry.api.get(f"/alliances/{hunan.id}/transitions", role=OFFICE, scope=hunan.office)
        assert trail[-1]["reason"] == "缺少可行性报告；指标数据不完整"
        [event] = await published(registry.runtime, STATUS_CHANGED, where=lambda d: d["to_status"] == "returned")
        assert event.data["reason"] == "缺少可行性报告；指标数据不完整"

    async def test_return_without_a_reason_is_refused(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api, stage="submitted")
        for reasons in ([], ["  "]):
            response = await registry.api.call("POST", f"/alliances/{hunan.id}/return", role=HC,
                                               scope=hunan.commission, json={"reasons": reasons})
            assert_problem(response, 422, "reasons")

    async def test_the_audit_table_cannot_be_rewritten(self, registry: Registry) -> None:
        await build_hunan_pediatric(api=registry.api, stage="submitted")
        with pytest.raises(Exception, match="append-only"):
            async with registry.runtime.transaction() as session:
                await session.execute(text("UPDATE alliance_transitions SET reason = 'rewritten'"))


class TestWhoDecides:
    async def test_only_the_filing_commission_approves(self, registry: Registry) -> None:
        haikou = await build_haikou_neurosurgery(api=registry.api, stage="submitted")
        path = f"/alliances/{haikou.id}/approve"
        hainan_province = {"sub": "hn-prov", "region_code": "460000"}
        assert_problem(await registry.api.call("POST", path, role=HC, scope=hainan_province), 403, "reviewer")
        assert_problem(await registry.api.call("POST", path, role=HC, scope={"region_code": "430000"}), 404)
        assert_problem(await registry.api.call("POST", path, role=OFFICE, scope=haikou.office), 403, "role")
        approved = await registry.api.post(path, role=HC, scope=haikou.commission, expect=200)
        assert approved["status"] == "approved"

    async def test_a_member_unit_cannot_submit_for_the_lead(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api, stage="draft")
        member_admin = hunan.unit_admin(hunan.members[0])
        response = await registry.api.call("POST", f"/alliances/{hunan.id}/submit", role=Role.UNIT_ADMIN,
                                           scope=member_admin)
        assert_problem(response, 404)  # a draft is not even visible to a member


class TestIllegalSteps:
    async def test_approving_a_draft_or_opening_before_preparing_is_a_conflict(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api, stage="approved")
        response = await registry.api.call("POST", f"/alliances/{hunan.id}/approve", role=HC,
                                           scope=hunan.commission)
        body = assert_problem(response, 409)
        assert body["current_status"] == "approved"
        again = await registry.api.call("POST", f"/alliances/{hunan.id}/submit", role=OFFICE, scope=hunan.office)
        assert_problem(again, 409)

    async def test_opening_needs_the_documents_and_a_past_founding_date(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api, stage="preparing")
        council = {"chair": seat("王主席", hunan.lead["id"], "13907310000"),
                   "secretary": seat("赵秘书", hunan.lead["id"], "13907310003")}
        body = {"founded_on": (today() - timedelta(days=3)).isoformat(), "council": council}
        path = f"/alliances/{hunan.id}/open"
        problem = assert_problem(await registry.api.call("POST", path, role=OFFICE, scope=hunan.office, json=body),
                                 409, "documents")
        assert set(problem["missing"]) == {"联盟章程", "协议书", "联盟成员单位名单"}
        await upload_documents(api=registry.api, alliance_id=hunan.id, scope=hunan.office)
        future = {**body, "founded_on": (today() + timedelta(days=5)).isoformat()}
        assert_problem(await registry.api.call("POST", path, role=OFFICE, scope=hunan.office, json=future),
                       422, "founded_on")
        outsider = {**body, "council": {**council, "chair": seat("王主席", "not-a-member", "13907310000")}}
        assert_problem(await registry.api.call("POST", path, role=OFFICE, scope=hunan.office, json=outsider),
                       422, "council.chair.institution_id")
        opened = await registry.api.post(path, role=OFFICE, scope=hunan.office, json=body, expect=200)
        assert opened["operating"] and opened["current_term"]["number"] == 1


class TestEndings:
    async def test_rename_merge_dissolve_are_published_as_not_operating(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        haikou = await build_haikou_neurosurgery(api=registry.api)
        renamed = await registry.api.post(f"/alliances/{haikou.id}/rename", role=HC, scope=haikou.commission,
                                          json={"new_name": "海口市神经外科专业专科联盟"}, expect=200)
        assert renamed["name"] == "海口市神经外科专业专科联盟" and renamed["operating"]
        [event] = await published(registry.runtime, "alliance.registry.alliance.renamed")
        assert event.data == {"alliance_id": haikou.id, "old_name": "海口市神经外科专科联盟",
                              "new_name": "海口市神经外科专业专科联盟"}
        bad_name = await registry.api.call("POST", f"/alliances/{haikou.id}/rename", role=HC,
                                           scope=haikou.commission, json={"new_name": "海口脑外联盟"})
        assert_problem(bad_name, 422, "name")
        dissolved = await registry.api.post(f"/alliances/{hunan.id}/dissolve", role=HC, scope=hunan.commission,
                                            json={"reason": "连续2年评价结果较差"}, expect=200)
        assert (dissolved["status"], dissolved["operating"]) == ("dissolved", False)
        [gone] = await published(registry.runtime, "alliance.registry.alliance.dissolved")
        assert gone.data == {"alliance_id": hunan.id, "reason": "连续2年评价结果较差"}
        [last] = await published(registry.runtime, STATUS_CHANGED, where=lambda d: d["to_status"] == "dissolved")
        assert_subset(last.data, operating=False, from_status="operating", action="dissolve")

    async def test_merge_needs_another_filed_alliance(self, registry: Registry) -> None:
        haikou = await build_haikou_neurosurgery(api=registry.api)
        path = f"/alliances/{haikou.id}/merge"
        for target in ("no-such-alliance", haikou.id):
            response = await registry.api.call("POST", path, role=HC, scope=haikou.commission,
                                               json={"into_alliance_id": target, "reason": "整合"})
            assert_problem(response, 422, "into_alliance_id")
        hunan = await build_hunan_pediatric(api=registry.api)
        merged = await registry.api.post(path, role=HC, scope=haikou.commission,
                                         json={"into_alliance_id": hunan.id, "reason": "整合"}, expect=200)
        assert (merged["status"], merged["merged_into_id"]) == ("merged", hunan.id)
        [event] = await published(registry.runtime, "alliance.registry.alliance.merged")
        assert event.data == {"alliance_id": haikou.id, "into_alliance_id": hunan.id}
