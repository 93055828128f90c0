"""/institutions: every filing-form field, validation naming the field, nothing partial stored, scoped reads."""

from __future__ import annotations

from libs.auth.principal import Role
from services.registry.persistence.tables import institutions
from tests.services.registry.api.support import assert_problem, count_rows, published
from tests.services.registry.conftest import Registry
from tests.services.registry.fixtures import create_institution, institution_body, valid_uscc

ADMIN = Role.PLATFORM_ADMIN


class TestRegister:
    async def test_every_field_is_kept_with_labels_and_the_event_is_published(self, registry: Registry) -> None:
        body = institution_body(name="湖南省儿童医院", region_code="430111", national_key_specialties=["新生儿专业"],
                                provincial_key_specialties=["07.04", "儿科"], doctors=900, nurses=1800,
                                staff_total=4000, authorised_beds=2000, open_beds=2300)
        created = await registry.api.post("/institutions", role=ADMIN, json=body)
        assert created["uscc"] == body["uscc"] and created["region_name"] == "湖南省长沙市雨花区"
        assert (created["nature"], created["nature_label"]) == ("government", "政府办医疗机构")
        assert (created["grade"], created["grade_label"]) == ("3A", "三级甲等")
        assert created["admin_rank_label"] == "正处级"
        assert created["staff"] == {"total": 4000, "doctors": 900, "nurses": 1800, "pharmacists": 60,
                                    "technicians": 120}
        assert (created["doctor_nurse_ratio"], created["doctor_nurse_ratio_text"]) == ("2.00", "1:2.00")
        assert created["key_specialties"]["national"] == [{"code": "07.01", "name": "新生儿专业"}]
        assert [s["code"] for s in created["key_specialties"]["provincial"]] == ["07.04", "07"]
        [event] = await published(registry.runtime, "alliance.registry.institution.registered")
        assert event.data == {"institution_id": created["id"], "name": "湖南省儿童医院", "region_code": "430111",
                              "grade": "3A", "nature": "government"}
        assert event.subject == f"institution/{created['id']}"

    async def test_a_registered_uscc_is_refused_naming_the_existing_institution(self, registry: Registry) -> None:
        first = await create_institution(api=registry.api, name="湘潭市中心医院", region_code="430304")
        again = institution_body(name="湘潭市中心医院（重复）", region_code="430304", uscc=first["uscc"])
        response = await registry.api.call("POST", "/institutions", role=ADMIN, json=again)
        body = assert_problem(response, 409, "uscc")
        assert body["existing_institution_id"] == first["id"]
        assert await count_rows(registry.runtime, institutions) == 1


class TestBadInput:
    async def bad(self, registry: Registry, field: str, status: int = 422, **overrides: object) -> dict:
        body = {**institution_body(name="岳阳市妇幼保健院", region_code="430602"), **overrides}
        response = await registry.api.call("POST", "/institutions", role=ADMIN, json=body)
        problem = assert_problem(response, status, field)
        assert await count_rows(registry.runtime, institutions) == 0
        return problem

    async def test_uscc_check_digit(self, registry: Registry) -> None:
        good = valid_uscc(region_code="430602")
        wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
        problem = await self.bad(registry, "uscc", uscc=wrong)
        assert "校验位" in problem["detail"]

    async def test_region_code_unknown_or_abolished(self, registry: Registry) -> None:
        await self.bad(registry, "region_code", region_code="439999")
        await self.bad(registry, "region_code", region_code="43A000")

    async def test_specialty_not_in_the_national_list(self, registry: Registry) -> None:
        await self.bad(registry, "national_key_specialties", national_key_specialties=["量子医学"])

    async def test_staff_parts_above_total_and_every_problem_listed(self, registry: Registry) -> None:
        problem = await self.bad(registry, "doctors", doctors=2000, staff_total=1000, grade="五级")
        fields = {e["field"] for e in problem["errors"]}
        assert {"doctors", "grade"} <= fields

    async def test_counts_must_be_json_integers(self, registry: Registry) -> None:
        await self.bad(registry, "authorised_beds", authorised_beds=12.5)
        await self.bad(registry, "open_beds", open_beds="900")
        await self.bad(registry, "open_beds", open_beds=-1)

    async def test_unknown_field_is_refused(self, registry: Registry) -> None:
        await self.bad(registry, "verified", verified=True)

    async def test_nature_grade_rank_choices(self, registry: Registry) -> None:
        await self.bad(registry, "nature", nature="合资")
        await self.bad(registry, "admin_rank", admin_rank="部级")


class TestCorrect:
    async def test_own_unit_admin_corrects_and_update_is_published(self, registry: Registry) -> None:
        inst = await create_institution(api=registry.api, name="常德市第一人民医院", region_code="430702")
        own = {"sub": "cd-admin", "institution_id": inst["id"]}
        body = institution_body(name="常德市第一人民医院", region_code="430702", uscc=inst["uscc"], open_beds=1200)
        updated = await registry.api.call("PUT", f"/institutions/{inst['id']}", role=Role.UNIT_ADMIN, scope=own,
                                          json=body, expect=200)
        assert (updated.json()["open_beds"], updated.json()["version"]) == (1200, 2)
        [event] = await published(registry.runtime, "alliance.registry.institution.updated")
        assert event.data["institution_id"] == inst["id"]

    async def test_another_units_admin_does_not_see_it(self, registry: Registry) -> None:
        inst = await create_institution(api=registry.api, name="郴州市第一人民医院", region_code="431002")
        body = institution_body(name="郴州市第一人民医院", region_code="431002", uscc=inst["uscc"])
        other = {"sub": "x", "institution_id": "someone-else"}
        response = await registry.api.call("PUT", f"/institutions/{inst['id']}", role=Role.UNIT_ADMIN,
                                           scope=other, json=body)
        assert_problem(response, 404, "institution_id")


class TestRead:
    async def test_commission_sees_its_region_only(self, registry: Registry) -> None:
        hunan = await create_institution(api=registry.api, name="湖南省儿童医院", region_code="430111")
        haikou = await create_institution(api=registry.api, name="海口市人民医院", region_code="460108")
        commission = {"region_code": "430000"}
        page = await registry.api.get("/institutions", role=Role.HEALTH_COMMISSION, scope=commission)
        assert [i["id"] for i in page["items"]] == [hunan["id"]]
        response = await registry.api.call("GET", f"/institutions/{haikou['id']}", role=Role.HEALTH_COMMISSION,
                                           scope=commission)
        assert_problem(response, 404)

    async def test_list_pages_with_a_cursor_and_filters(self, registry: Registry) -> None:
        for name, code in (("甲医院", "430102"), ("乙医院", "430103"), ("丙医院", "460106")):
            await create_institution(api=registry.api, name=name, region_code=code)
        first = await registry.api.get("/institutions?limit=2", role=Role.AUDITOR)
        second = await registry.api.get(f"/institutions?limit=2&cursor={first['next_cursor']}", role=Role.AUDITOR)
        assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None
        changsha = await registry.api.get("/institutions?region_code=430100", role=Role.AUDITOR)
        assert {i["name"] for i in changsha["items"]} == {"甲医院", "乙医院"}
        response = await registry.api.call("GET", "/institutions?limit=100000", role=Role.AUDITOR)
        assert_problem(response, 422, "limit")
