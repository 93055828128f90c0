"""Idempotency-Key on a real service template and real PostgreSQL (matrix row 15)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from libs.auth.testing import as_principal
from libs.kit.errors import InvalidInput
from libs.kit.idempotency import fingerprint, parse_key
from tests.libs.kit.conftest import KitApp

DOCTOR = as_principal("doctor", sub="d-1", doctor_id="d-1")
OTHER = as_principal("doctor", sub="d-2", doctor_id="d-2")


def key() -> str:
    return str(uuid.uuid4())


async def things_count(kit: KitApp) -> int:
    return int((await kit.client.get("/things-count")).json()["count"])


class TestMissingKey:
    async def test_400_naming_the_header(self, kit: KitApp) -> None:
        response = await kit.client.post("/things", json={"name": "a"}, headers=DOCTOR)
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "header.Idempotency-Key"
        assert "Idempotency-Key" in response.json()["detail"]
        assert await things_count(kit) == 0

    @pytest.mark.parametrize("raw", ["", "   ", "x" * 201, "has space", "中文"])
    def test_bad_keys(self, raw: str) -> None:
        with pytest.raises(InvalidInput if raw.strip() else Exception):
            parse_key(raw)

    def test_structured_field_string_is_unquoted(self) -> None:
        assert parse_key('"abc-1"') == "abc-1"


class TestReplay:
    async def test_same_key_same_body_replays_the_first_response(self, kit: KitApp) -> None:
        headers = {**DOCTOR, "Idempotency-Key": key()}
        first = await kit.client.post("/things", json={"name": "a"}, headers=headers)
        second = await kit.client.post("/things", json={"name": "a"}, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.content == first.content and second.json()["id"] == first.json()["id"]
        assert second.headers["location"] == first.headers["location"]
        assert second.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
        assert await things_count(kit) == 1

    async def test_same_key_different_body_is_422(self, kit: KitApp) -> None:
        headers = {**DOCTOR, "Idempotency-Key": key()}
        await kit.client.post("/things", json={"name": "a"}, headers=headers)
        response = await kit.client.post("/things", json={"name": "b"}, headers=headers)
        assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
        assert await things_count(kit) == 1

    async def test_keys_are_scoped_per_principal(self, kit: KitApp) -> None:
        shared = key()
        mine = await kit.client.post("/things", json={"name": "a"}, headers={**DOCTOR, "Idempotency-Key": shared})
        theirs = await kit.client.post("/things", json={"name": "a"}, headers={**OTHER, "Idempotency-Key": shared})
        assert mine.status_code == theirs.status_code == 201
        assert "idempotent-replayed" not in theirs.headers and theirs.json()["id"] != mine.json()["id"]
        assert await things_count(kit) == 2

    async def test_expired_key_may_be_used_again(self, kit: KitApp) -> None:
        headers = {**DOCTOR, "Idempotency-Key": key()}
        await kit.client.post("/things", json={"name": "a"}, headers=headers)
        kit.clock.advance(timedelta(hours=24, seconds=1))
        again = await kit.client.post("/things", json={"name": "b"}, headers=headers)
        assert again.status_code == 201 and "idempotent-replayed" not in again.headers
        assert await things_count(kit) == 2


class TestConcurrency:
    async def test_duplicate_while_first_in_progress_is_409(self, kit: KitApp) -> None:
        headers = {**DOCTOR, "Idempotency-Key": key()}
        first = asyncio.create_task(kit.client.post("/held-things", json={"name": "a"}, headers=headers))
        await asyncio.wait_for(kit.gates.entered.wait(), 10)
        duplicate = await kit.client.post("/held-things", json={"name": "a"}, headers=headers)
        kit.gates.release.set()
        assert duplicate.status_code == 409 and duplicate.json()["code"] == "idempotency_in_progress"
        assert (await first).status_code == 201
        replay = await kit.client.post("/held-things", json={"name": "a"}, headers=headers)
        assert replay.headers["idempotent-replayed"] == "true"
        assert await things_count(kit) == 1

    async def test_gathered_identical_requests_apply_once(self, kit: KitApp) -> None:
        headers = {**DOCTOR, "Idempotency-Key": key()}
        kit.gates.release.set()
        responses = await asyncio.gather(*(kit.client.post("/things", json={"name": "a"}, headers=headers)
                                           for _ in range(8)))
        created = [r for r in responses if r.status_code == 201]
        assert {r.status_code for r in responses} <= {201, 409}  # 409 while the first is in flight, else replayed
        assert len({r.json()["id"] for r in created}) == 1  # replays carry the same id
        assert sum("idempotent-replayed" not in r.headers for r in created) == 1
        assert await things_count(kit) == 1


class TestTransaction:
    async def test_refused_request_stores_nothing_and_may_be_retried(self, kit: KitApp) -> None:
        headers = {**DOCTOR, "Idempotency-Key": key()}
        refused = await kit.client.post("/refused-things", json={"name": "bad"}, headers=headers)
        assert refused.status_code == 422 and await things_count(kit) == 0
        retried = await kit.client.post("/refused-things", json={"name": "bad"}, headers=headers)
        assert retried.status_code == 422 and "idempotent-replayed" not in retried.headers

    async def test_route_that_forgets_respond_fails_and_rolls_back(self, kit: KitApp) -> None:
        response = await kit.client.post("/forgetful-things", json={"name": "a"},
                                         headers={**DOCTOR, "Idempotency-Key": key()})
        assert response.status_code == 500
        assert await things_count(kit) == 0


async def test_service_template_installs_the_replay_handler(env) -> None:
    import httpx

    from libs.kit.app import create_service_app
    from libs.kit.runtime import ServiceRuntime
    from tests.libs.kit.conftest import Gates, create_schema, kit_settings, tables, things_router

    await create_schema(env)
    app = create_service_app(ServiceRuntime(settings=kit_settings(env), tables=tables), title="t", description="t",
                             routers=[things_router(Gates())], configure_logs=False)
    headers = {**DOCTOR, "Idempotency-Key": key()}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = await client.post("/things", json={"name": "a"}, headers=headers)
            again = await client.post("/things", json={"name": "a"}, headers=headers)
    assert first.status_code == 201
    assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()


def test_fingerprint_separates_parts() -> None:
    assert fingerprint("POST", "/a", "b=1", b"") != fingerprint("POST", "/ab", "=1", b"")
