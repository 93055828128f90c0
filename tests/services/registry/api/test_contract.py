"""The API contract: every route in OpenAPI with its problem responses; creating POSTs are idempotent."""

from __future__ import annotations

import uuid

from libs.auth.principal import Role
from services.registry.persistence.tables import institutions
from tests.services.registry.api.support import assert_problem, count_rows
from tests.services.registry.conftest import Registry
from tests.services.registry.fixtures import institution_body


async def test_openapi_documents_every_route_with_problem_responses(registry: Registry) -> None:
    spec = (await registry.service.client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path in ("/institutions", "/alliances/{alliance_id}/approve", "/alliances/{alliance_id}/documents",
                 "/council-terms/expiring", "/alliances/{alliance_id}/members/{institution_id}/plaque.pdf",
                 "/doctors/{doctor_id}/positions", "/imports/doctors"):
        assert path in paths, path
    upload = paths["/alliances/{alliance_id}/documents"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    problem = paths["/alliances/{alliance_id}/approve"]["post"]["responses"]["409"]["content"]
    assert "application/problem+json" in problem
    assert "Idempotency-Key" in {p["name"] for p in paths["/doctors"]["post"]["parameters"]}


async def test_a_retried_create_replays_the_first_answer(registry: Registry) -> None:
    body = institution_body(name="湖南省儿童医院", region_code="430111")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await registry.api.call("POST", "/institutions", role=Role.PLATFORM_ADMIN, json=body, headers=key)
    again = await registry.api.call("POST", "/institutions", role=Role.PLATFORM_ADMIN, json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers["idempotent-replayed"] == "true"
    assert await count_rows(registry.runtime, institutions) == 1


async def test_a_create_without_idempotency_key_is_refused(registry: Registry) -> None:
    body = institution_body(name="湖南省儿童医院", region_code="430111")
    response = await registry.api.call("POST", "/institutions", role=Role.PLATFORM_ADMIN, json=body,
                                       headers={"Idempotency-Key": ""})
    assert_problem(response, 400)
