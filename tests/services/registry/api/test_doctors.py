"""医师: one member unit at a time, moves keep history; the resident ID is never stored nor published in clear;
职务 (副主委/常委/委员) published for points rule R03b."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from libs.auth.principal import Role
from services.registry.persistence.tables import doctor_units, doctors
from tests.services.registry.api.support import assert_problem, count_rows, published, stream_events
from tests.services.registry.conftest import Registry
from tests.services.registry.fixtures import (
    BuiltAlliance,
    build_hunan_pediatric,
    create_institution,
    register_doctor,
    today,
    valid_practice_cert,
    valid_resident_id,
)

OFFICE, UNIT = Role.ALLIANCE_OFFICE, Role.UNIT_ADMIN


def admin_of(hunan: BuiltAlliance, index: int) -> dict[str, str]:
    return hunan.unit_admin(hunan.members[index])


class TestRegister:
    async def test_resident_id_is_kept_only_as_hmac_and_mask(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        rid = valid_resident_id()
        doctor = await register_doctor(api=registry.api, institution_id=hunan.lead["id"], name="陈医生",
                                       resident_id=rid)
        assert doctor["resident_id_masked"] == rid[:6] + "********" + rid[-4:]
        assert doctor["institution_id"] == hunan.lead["id"] and len(doctor["units"]) == 1
        async with registry.runtime.transaction() as session:
            row = (await session.execute(select(doctors))).mappings().one()
        assert rid not in {str(v) for v in row.values()} and len(row["resident_id_hmac"]) == 64
        [event] = await published(registry.runtime, "alliance.registry.doctor.registered")
        assert event.data == {"doctor_id": doctor["id"], "institution_id": hunan.lead["id"],
                              "display_name": "陈医生", "effective_date": doctor["units"][0]["starts_on"]}
        assert all(rid not in e.model_dump_json() for e in await stream_events(registry.runtime))

    async def test_bad_identifiers_name_the_field_and_store_nothing(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api, stage="draft")
        body = {"name": "陈医生", "practice_cert_no": "12345", "institution_id": hunan.lead["id"]}
        response = await registry.api.call("POST", "/doctors", role=UNIT, scope=hunan.lead_admin, json=body)
        assert_problem(response, 422, "practice_cert_no")
        rid = valid_resident_id()
        bad_rid = rid[:-1] + ("0" if rid[-1] != "0" else "1")
        body |= {"practice_cert_no": valid_practice_cert(), "resident_id": bad_rid}
        response = await registry.api.call("POST", "/doctors", role=UNIT, scope=hunan.lead_admin, json=body)
        assert_problem(response, 422, "resident_id")
        assert await count_rows(registry.runtime, doctors) == 0

    async def test_the_same_person_twice_is_refused(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        rid = valid_resident_id()
        first = await register_doctor(api=registry.api, institution_id=hunan.lead["id"], resident_id=rid)
        body = {"name": "另一人", "practice_cert_no": first["practice_cert_no"], "institution_id": hunan.lead["id"]}
        response = await registry.api.call("POST", "/doctors", role=UNIT, scope=hunan.lead_admin, json=body)
        assert_problem(response, 409, "practice_cert_no")
        body |= {"practice_cert_no": valid_practice_cert(), "resident_id": rid}
        response = await registry.api.call("POST", "/doctors", role=UNIT, scope=hunan.lead_admin, json=body)
        assert_problem(response, 409, "resident_id")

    async def test_who_may_register_at_a_unit(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        body = {"name": "陈医生", "practice_cert_no": valid_practice_cert(), "institution_id": hunan.lead["id"]}
        other_admin = await registry.api.call("POST", "/doctors", role=UNIT, scope=admin_of(hunan, 0), json=body)
        assert_problem(other_admin, 403, "institution_id")
        other_office = await registry.api.call("POST", "/doctors", role=OFFICE, scope={"alliance_id": "x"},
                                               json=body)
        assert_problem(other_office, 403, "institution_id")
        doctor = await register_doctor(api=registry.api, institution_id=hunan.members[2]["id"], role=OFFICE,
                                       scope=hunan.office)
        assert doctor["institution_id"] == hunan.members[2]["id"]


class TestMoveAndScope:
    async def test_move_keeps_history_and_changes_who_sees_the_doctor(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        start = today() - timedelta(days=100)
        doctor = await register_doctor(api=registry.api, institution_id=hunan.members[0]["id"], starts_on=start,
                                       resident_id=valid_resident_id())
        moved_on = today() - timedelta(days=1)
        moved = await registry.api.post(f"/doctors/{doctor['id']}/moves", role=UNIT, scope=admin_of(hunan, 0),
                                        json={"to_institution_id": hunan.members[1]["id"],
                                              "on": moved_on.isoformat()}, expect=200)
        assert moved["institution_id"] == hunan.members[1]["id"]
        assert [(u["institution_id"], u["ends_on"]) for u in moved["units"]] == [
            (hunan.members[0]["id"], moved_on.isoformat()), (hunan.members[1]["id"], None)]
        [event] = await published(registry.runtime, "alliance.registry.doctor.moved")
        assert event.data == {"doctor_id": doctor["id"], "from_institution_id": hunan.members[0]["id"],
                              "to_institution_id": hunan.members[1]["id"], "effective_date": moved_on.isoformat()}
        path = f"/doctors/{doctor['id']}"
        assert_problem(await registry.api.call("GET", path, role=UNIT, scope=admin_of(hunan, 0)), 404)
        assert (await registry.api.get(path, role=UNIT, scope=admin_of(hunan, 1)))["id"] == doctor["id"]
        seen = await registry.api.get(path, role=Role.DOCTOR, scope={"doctor_id": doctor["id"]})
        assert seen["resident_id_masked"]
        assert_problem(await registry.api.call("GET", path, role=Role.DOCTOR, scope={"doctor_id": "other"}), 404)
        by_commission = await registry.api.get(path, role=Role.HEALTH_COMMISSION, scope=hunan.commission)
        assert by_commission["resident_id_masked"] is None
        assert_problem(await registry.api.call("GET", path, role=Role.HEALTH_COMMISSION,
                                               scope={"region_code": "460100"}), 404)
        assert await count_rows(registry.runtime, doctor_units) == 2

    async def test_move_refusals(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        doctor = await register_doctor(api=registry.api, institution_id=hunan.members[0]["id"],
                                       starts_on=today() - timedelta(days=10))
        path = f"/doctors/{doctor['id']}/moves"
        same = {"to_institution_id": hunan.members[0]["id"], "on": today().isoformat()}
        assert_problem(await registry.api.call("POST", path, role=UNIT, scope=admin_of(hunan, 0), json=same),
                       409, "to_institution_id")
        before = {"to_institution_id": hunan.members[1]["id"], "on": (today() - timedelta(days=20)).isoformat()}
        assert_problem(await registry.api.call("POST", path, role=UNIT, scope=admin_of(hunan, 0), json=before),
                       422, "on")
        unknown = {"to_institution_id": "nowhere", "on": today().isoformat()}
        assert_problem(await registry.api.call("POST", path, role=UNIT, scope=admin_of(hunan, 0), json=unknown),
                       422, "to_institution_id")


class TestPositions:
    async def test_assign_and_end_are_published(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        doctor = await register_doctor(api=registry.api, institution_id=hunan.members[0]["id"])
        body = {"alliance_id": hunan.id, "society": "湖南省医学会儿科专业委员会", "title": "副主委",
                "starts_on": today().isoformat()}
        position = await registry.api.post(f"/doctors/{doctor['id']}/positions", role=OFFICE, scope=hunan.office,
                                           json=body)
        assert (position["title"], position["title_label"]) == ("vice_chair", "副主委")
        [assigned] = await published(registry.runtime, "alliance.registry.position.assigned")
        assert assigned.data == {"position_id": position["id"], "doctor_id": doctor["id"], "alliance_id": hunan.id,
                                 "society": "湖南省医学会儿科专业委员会", "title": "vice_chair",
                                 "start_date": today().isoformat()}
        overlap = await registry.api.call("POST", f"/doctors/{doctor['id']}/positions", role=OFFICE,
                                          scope=hunan.office, json={**body, "title": "常委"})
        assert_problem(overlap, 409, "starts_on")
        ends = (today() + timedelta(days=365)).isoformat()
        ended = await registry.api.post(f"/doctors/{doctor['id']}/positions/{position['id']}/end", role=OFFICE,
                                        scope=hunan.office, json={"ends_on": ends}, expect=200)
        assert ended["ends_on"] == ends
        [end_event] = await published(registry.runtime, "alliance.registry.position.ended")
        assert end_event.data == {"position_id": position["id"], "doctor_id": doctor["id"], "end_date": ends}

    async def test_position_refusals(self, registry: Registry) -> None:
        hunan = await build_hunan_pediatric(api=registry.api)
        doctor = await register_doctor(api=registry.api, institution_id=hunan.members[0]["id"])
        path = f"/doctors/{doctor['id']}/positions"
        base = {"alliance_id": hunan.id, "society": "专委会", "title": "委员", "starts_on": today().isoformat()}
        cases = [({"title": "主委"}, 422, "title"),
                 ({"ends_on": (today() - timedelta(days=1)).isoformat()}, 422, "ends_on"),
                 ({"society": ""}, 422, "society"),
                 ({"alliance_id": "nope"}, 404, "alliance_id")]
        for change, status, field in cases:
            response = await registry.api.call("POST", path, role=OFFICE, scope=hunan.office, json=base | change)
            assert_problem(response, status, field)
        stranger_unit = await create_institution(api=registry.api, name="非成员医院", region_code="430102")
        stranger = await register_doctor(api=registry.api, institution_id=stranger_unit["id"], role=Role.PLATFORM_ADMIN,
                                         scope={})
        response = await registry.api.call("POST", f"/doctors/{stranger['id']}/positions", role=OFFICE,
                                           scope=hunan.office, json=base)
        assert_problem(response, 404, "doctor_id")
        member_admin = await registry.api.call("POST", path, role=UNIT, scope=admin_of(hunan, 0), json=base)
        assert_problem(member_admin, 403, "role")
