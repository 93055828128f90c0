"""The 403 / 404 matrix: a role calling a function it must not → 403; an object outside the caller's scope → 404
(no existence leak); no principal → 401."""

from __future__ import annotations

from typing import Any

import pytest

from libs.auth.principal import Role
from tests.services.registry.api.support import assert_problem
from tests.services.registry.conftest import Registry
from tests.services.registry.fixtures import BuiltAlliance, build_hunan_pediatric, register_doctor

R = Role
ALL = set(Role)
READERS = ALL - {R.INTEGRATION}
LEAD_SIDE = {R.UNIT_ADMIN, R.ALLIANCE_OFFICE}
REGISTRARS = {R.PLATFORM_ADMIN, R.UNIT_ADMIN, R.ALLIANCE_OFFICE}

# (method, path template, allowed roles); {a} alliance, {i} member institution, {d} doctor, {doc} document
ROUTES: list[tuple[str, str, set[Role]]] = [
    ("POST", "/institutions", REGISTRARS), ("GET", "/institutions", READERS), ("GET", "/institutions/{i}", READERS),
    ("PUT", "/institutions/{i}", REGISTRARS), ("POST", "/alliances", LEAD_SIDE), ("GET", "/alliances", READERS),
    ("GET", "/alliances/{a}", READERS), ("PUT", "/alliances/{a}", LEAD_SIDE),
    ("GET", "/alliances/{a}/transitions", READERS), ("GET", "/alliances/{a}/members", READERS),
    ("POST", "/alliances/{a}/members", LEAD_SIDE), ("POST", "/alliances/{a}/members/{i}/leave", LEAD_SIDE),
    *[("POST", f"/alliances/{{a}}/{step}", LEAD_SIDE)
      for step in ("submit", "resubmit", "start-preparing", "open", "renewals")],
    *[("POST", f"/alliances/{{a}}/{step}", {R.HEALTH_COMMISSION})
      for step in ("return", "approve", "rename", "merge", "dissolve")],
    ("POST", "/alliances/{a}/documents", LEAD_SIDE), ("GET", "/alliances/{a}/documents", READERS),
    ("GET", "/alliances/{a}/documents/{doc}", READERS), ("GET", "/alliances/{a}/council-terms", READERS),
    ("GET", "/council-terms/expiring", READERS), ("GET", "/alliances/{a}/members/{i}/plaque.svg", READERS),
    ("GET", "/alliances/{a}/members/{i}/plaque.pdf", READERS), ("POST", "/doctors", REGISTRARS),
    ("GET", "/doctors", READERS), ("GET", "/doctors/{d}", READERS), ("POST", "/doctors/{d}/moves", REGISTRARS),
    ("GET", "/doctors/{d}/positions", READERS), ("POST", "/doctors/{d}/positions", LEAD_SIDE),
    ("POST", "/doctors/{d}/positions/p1/end", LEAD_SIDE),
    ("POST", "/imports/institutions", {R.PLATFORM_ADMIN, R.ALLIANCE_OFFICE}), ("POST", "/imports/doctors", REGISTRARS),
]


@pytest.fixture
async def world(registry: Registry) -> dict[str, Any]:
    hunan = await build_hunan_pediatric(api=registry.api)
    doctor = await register_doctor(api=registry.api, institution_id=hunan.members[0]["id"])
    return {"hunan": hunan, "a": hunan.id, "i": hunan.members[0]["id"], "d": doctor["id"],
            "doc": hunan.documents[0]["id"]}


async def test_roles_outside_a_function_get_403(registry: Registry, world: dict[str, Any]) -> None:
    checked = 0
    for method, template, allowed in ROUTES:
        path = template.format(**world)
        for role in ALL - allowed:
            response = await registry.api.call(method, path, role=role, json={})
            assert_problem(response, 403, "role")
            checked += 1
    assert checked > 100


async def test_no_principal_is_401(registry: Registry) -> None:
    response = await registry.service.client.get("/alliances")
    assert_problem(response, 401)


async def test_objects_outside_the_scope_are_not_found(registry: Registry, world: dict[str, Any]) -> None:
    hunan: BuiltAlliance = world["hunan"]
    strangers: list[tuple[Role, dict[str, Any]]] = [
        (R.UNIT_ADMIN, {"institution_id": "another-unit"}), (R.ALLIANCE_OFFICE, {"alliance_id": "another"}),
        (R.HEALTH_COMMISSION, {"region_code": "460100"}), (R.DOCTOR, {"doctor_id": "x", "institution_id": "y"})]
    paths = ["/institutions/{i}", "/alliances/{a}", "/alliances/{a}/transitions", "/alliances/{a}/members",
             "/alliances/{a}/documents", "/alliances/{a}/documents/{doc}", "/alliances/{a}/council-terms",
             "/alliances/{a}/members/{i}/plaque.svg", "/doctors/{d}", "/doctors/{d}/positions"]
    for role, scope in strangers:
        for template in paths:
            response = await registry.api.call("GET", template.format(**world), role=role, scope=scope)
            assert_problem(response, 404)
    for role, scope in strangers[:2]:
        response = await registry.api.call("POST", f"/alliances/{hunan.id}/submit", role=role, scope=scope)
        assert_problem(response, 404)
    listed = await registry.api.get("/alliances", role=R.ALLIANCE_OFFICE, scope={"alliance_id": "another"})
    assert listed["items"] == []


async def test_a_member_sees_its_alliance_but_cannot_act_for_the_lead(registry: Registry,
                                                                      world: dict[str, Any]) -> None:
    hunan: BuiltAlliance = world["hunan"]
    member_admin = hunan.unit_admin(hunan.members[0])
    assert (await registry.api.get(f"/alliances/{hunan.id}", role=R.UNIT_ADMIN, scope=member_admin))["id"]
    for step in ("members", "documents"):
        response = await registry.api.call("POST", f"/alliances/{hunan.id}/{step}", role=R.UNIT_ADMIN,
                                           scope=member_admin, json={"institution_id": "x", "role": "成员单位",
                                                                     "head": {"name": "a", "phone": "13800000000"}})
        assert_problem(response, 403, "role")
