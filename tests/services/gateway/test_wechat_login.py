"""WeChat mini-program login and binding through the gateway, on the real gateway schema."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest

from libs.auth.principal import Principal
from tests.services.gateway.conftest import GatewayUnderTest
from tests.services.gateway.tokens import bearer, hs256

LOGIN, BIND, CODES = "/api/v1/auth/wechat/login", "/api/v1/auth/wechat/bind", "/api/v1/auth/wechat/bind-codes"
UNIT_ADMIN = bearer(hs256(role="unit_admin", sub="u-1", institution_id="i-1", alliance_id="a-1"))


async def issue_code(gw: GatewayUnderTest, doctor_id: str = "d-9", headers: dict | None = None) -> str:
    response = await gw.client.post(CODES, json={"doctor_id": doctor_id}, headers=headers or UNIT_ADMIN)
    assert response.status_code == 201, response.text
    return str(response.json()["bind_code"])


async def bind(gw: GatewayUnderTest, *, wx: str, doctor_id: str = "d-9", code: str):
    return await gw.client.post(BIND, json={"code": wx, "doctor_id": doctor_id, "bind_code": code})


class TestLogin:
    async def test_unbound_account_is_told_to_bind(self, gw: GatewayUnderTest) -> None:
        response = await gw.client.post(LOGIN, json={"code": "wx-code-1"})
        assert response.status_code == 401 and response.json()["code"] == "wechat_not_bound"

    async def test_bind_then_login_gives_a_working_doctor_token(self, gw: GatewayUnderTest) -> None:
        code = await issue_code(gw)
        bound = await bind(gw, wx="wx-code-1", code=code.lower())  # codes are typed by hand: case does not matter
        assert bound.status_code == 200, bound.text
        login = await gw.client.post(LOGIN, json={"code": "wx-code-1"})
        assert login.status_code == 200
        token = login.json()["access_token"]
        assert login.json()["doctor_id"] == "d-9" and login.json()["expires_in"] == 7200
        whoami = await gw.client.get("/api/v1/points/whoami", headers=bearer(token))
        principal = Principal.from_json(whoami.json()["principal"])
        assert (principal.role.value, principal.doctor_id, principal.institution_id, principal.alliance_id) == (
            "doctor", "d-9", "i-1", "a-1")

    async def test_invalid_wechat_code_is_401(self, gw: GatewayUnderTest) -> None:
        response = await gw.client.post(LOGIN, json={"code": "invalid-code"})
        assert response.status_code == 401 and response.json()["code"] == "wechat_code_invalid"

    async def test_extra_fields_and_non_json_are_refused(self, gw: GatewayUnderTest) -> None:
        extra = await gw.client.post(LOGIN, json={"code": "c", "role": "platform_admin"})
        text = await gw.client.post(LOGIN, content=b"code=c", headers={"content-type": "text/plain"})
        assert extra.status_code == 422 and text.status_code == 415

    async def test_logins_are_audited_without_the_openid(self, gw: GatewayUnderTest) -> None:
        await gw.client.post(LOGIN, json={"code": "wx-code-2"})
        await bind(gw, wx="wx-code-2", code=await issue_code(gw))
        await gw.client.post(LOGIN, json={"code": "wx-code-2"})
        rows = await gw.audit_rows()
        events = [(r["event"], r["result"], r["reason"]) for r in rows if r["event"] != "authn.token"]
        assert events == [("authn.wechat_login", "failure", "wechat_not_bound"),
                          ("admin.bind_code", "success", None),
                          ("authn.wechat_bind", "success", None),
                          ("authn.wechat_login", "success", None)]
        conn = await asyncpg.connect(gw.database_url)
        try:
            stored = await conn.fetch("SELECT * FROM gateway.wechat_bindings")
        finally:
            await conn.close()
        assert len(stored) == 1 and len(stored[0]["openid_digest"]) == 64  # keyed digest only, never the openid


class TestBindCodes:
    async def test_code_is_one_time(self, gw: GatewayUnderTest) -> None:
        code = await issue_code(gw)
        assert (await bind(gw, wx="wx-a", code=code)).status_code == 200
        again = await bind(gw, wx="wx-b", code=code)
        assert again.status_code == 401 and again.json()["code"] == "bind_code_invalid"

    async def test_code_is_for_one_doctor(self, gw: GatewayUnderTest) -> None:
        code = await issue_code(gw, doctor_id="d-9")
        assert (await bind(gw, wx="wx-a", doctor_id="d-10", code=code)).status_code == 401
        assert (await bind(gw, wx="wx-a", doctor_id="d-9", code=code)).status_code == 200  # not consumed by the miss

    async def test_code_expires(self, gw: GatewayUnderTest) -> None:
        code = await issue_code(gw)
        gw.clock.advance(timedelta(hours=73))
        assert (await bind(gw, wx="wx-a", code=code)).status_code == 401

    async def test_account_bound_to_another_doctor_is_409_and_code_stays_usable(self, gw: GatewayUnderTest
                                                                                 ) -> None:
        await bind(gw, wx="wx-shared", doctor_id="d-1", code=await issue_code(gw, doctor_id="d-1"))
        code = await issue_code(gw, doctor_id="d-2")
        conflict = await bind(gw, wx="wx-shared", doctor_id="d-2", code=code)
        assert conflict.status_code == 409 and conflict.json()["code"] == "wechat_already_bound"
        assert (await bind(gw, wx="wx-own", doctor_id="d-2", code=code)).status_code == 200

    async def test_rebinding_a_doctor_replaces_the_old_account(self, gw: GatewayUnderTest) -> None:
        await bind(gw, wx="wx-old-phone", code=await issue_code(gw))
        await bind(gw, wx="wx-new-phone", code=await issue_code(gw))
        assert (await gw.client.post(LOGIN, json={"code": "wx-old-phone"})).status_code == 401
        assert (await gw.client.post(LOGIN, json={"code": "wx-new-phone"})).status_code == 200

    @pytest.mark.parametrize("token,body,reason", [
        (hs256(), {"doctor_id": "d-9"}, "role"),
        (hs256(role="unit_admin", sub="u-1", institution_id="i-1"), {"doctor_id": "d-9", "institution_id": "i-2"},
         "other_institution"),
        (hs256(role="alliance_office", sub="o-1", alliance_id="a-1"), {"doctor_id": "d-9", "alliance_id": "a-2"},
         "other_alliance"),
    ])
    async def test_issuing_outside_ones_scope_is_403_and_audited(self, gw: GatewayUnderTest, token: str,
                                                                 body: dict, reason: str) -> None:
        response = await gw.client.post(CODES, json=body, headers=bearer(token))
        assert response.status_code == 403
        [row] = [r for r in await gw.audit_rows(result="denied")]
        assert row["reason"] == reason and row["event"].startswith("authz.")

    async def test_alliance_office_and_platform_admin_may_issue(self, gw: GatewayUnderTest) -> None:
        office = bearer(hs256(role="alliance_office", sub="o-1", alliance_id="a-1"))
        admin = bearer(hs256(role="platform_admin", sub="p-1"))
        assert (await gw.client.post(CODES, json={"doctor_id": "d-1", "institution_id": "i-7"}, headers=office)
                ).status_code == 201
        assert (await gw.client.post(CODES, json={"doctor_id": "d-1"}, headers=admin)).status_code == 201
