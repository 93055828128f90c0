"""Forwarding through the gateway: identity headers, raw webhook bodies, limits, upstream failures (rows 21, 22, 31)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import datetime, timezone

import pytest

from libs.auth.principal import Principal, Role, sign_principal
from libs.auth.testing import as_principal
from libs.kit.clock import FixedClock
from libs.webhooks.standard import sign_headers, verify
from tests.services.gateway.conftest import GatewayFactory, GatewayUnderTest
from tests.services.gateway.tokens import bearer, hs256
from tests.services.gateway.upstream import SLOW_SECONDS, Served

ECHO = "/api/v1/points/echo"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def received(response) -> dict:
    return response.json()["headers"]


class TestClientIdentityHeaders:
    async def test_spoofed_principal_is_replaced_by_the_tokens(self, gw: GatewayUnderTest) -> None:
        spoofed = as_principal("platform_admin", sub="attacker")  # even correctly signed: never trusted from a client
        response = await gw.client.get("/api/v1/points/whoami", headers={**spoofed, **bearer(hs256(sub="d-2"))})
        assert response.status_code == 200
        assert Principal.from_json(response.json()["principal"]).sub == "d-2"

    async def test_spoofed_principal_without_token_is_401(self, gw: GatewayUnderTest) -> None:
        response = await gw.client.get("/api/v1/points/whoami", headers=as_principal("platform_admin"))
        assert response.status_code == 401

    async def test_idempotency_key_reaches_the_service(self, gw: GatewayUnderTest) -> None:
        response = await gw.client.post(ECHO, json={}, headers={**bearer(hs256()), "Idempotency-Key": "k-1"})
        assert received(response)["idempotency-key"] == "k-1"

    async def test_credentials_stay_at_the_gateway(self, gw: GatewayUnderTest) -> None:
        response = await gw.client.get(ECHO, headers={**bearer(hs256()), "cookie": "sid=1"})
        headers = received(response)
        assert "authorization" not in headers and "cookie" not in headers
        assert headers["x-request-id"] == response.headers["x-request-id"]


class TestWebhookPassThrough:
    async def test_raw_body_and_webhook_headers_arrive_untouched(self, gw: GatewayUnderTest) -> None:
        # Odd spacing and a duplicate key: any re-serialisation would change the bytes and break the signature.
        body = b'{"event":  "referral.created", "id": 1, "id": 2, "note": "\\u8f6c\\u8bca"}\n'
        now = datetime.now(timezone.utc)
        signed = sign_headers([WEBHOOK_SECRET], "msg_2f9a", now, body)
        spoofed = sign_principal(Principal(sub="x", role=Role.PLATFORM_ADMIN), "dev-only-change-me")
        response = await gw.client.post("/api/v1/referral/webhooks/hotline", content=body,
                                        headers={**signed, **spoofed, "content-type": "text/plain"})
        assert response.status_code == 200, response.text
        echoed = response.json()
        assert base64.b64decode(echoed["body_b64"]) == body
        headers = echoed["headers"]
        assert {k: headers[k] for k in signed} == signed
        assert "x-principal" not in headers and "x-principal-signature" not in headers
        verify(base64.b64decode(echoed["body_b64"]), headers, [WEBHOOK_SECRET], clock=FixedClock(now))

    async def test_other_paths_under_webhooks_need_a_token(self, gw: GatewayUnderTest) -> None:
        assert (await gw.client.post("/api/v1/referral/webhooks/hotline/replay", content=b"{}")).status_code == 401
        assert (await gw.client.post("/api/v1/points/webhooks/hotline", content=b"{}")).status_code == 401

    @pytest.mark.parametrize("path", ["/api/v1/referral/webhooks/x/%2E%2E/%2E%2E/integration/status",
                                      "/api/v1/points/a/%2E/whoami", "/api/v1/points//whoami",
                                      "/api/v1/points/a%5C..%5Cwhoami"])
    async def test_dot_segments_are_refused(self, gw: GatewayUnderTest, path: str) -> None:
        response = await gw.client.get(path, headers=bearer(hs256()))
        assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"


class TestRequestLimits:
    async def test_unknown_service_is_404_problem(self, gw: GatewayUnderTest) -> None:
        response = await gw.client.get("/api/v1/payroll/x", headers=bearer(hs256()))
        assert response.status_code == 404 and response.json()["errors"][0]["field"] == "service"

    @pytest.mark.parametrize("method", ["OPTIONS", "TRACE"])
    async def test_unsupported_method_is_405_problem(self, gw: GatewayUnderTest, method: str) -> None:
        response = await gw.client.request(method, ECHO, headers=bearer(hs256()))
        assert response.status_code == 405
        assert response.headers["content-type"] == "application/problem+json"
        assert method in response.json()["detail"]

    async def test_upstream_405_passes_through_as_problem(self, gw: GatewayUnderTest) -> None:
        response = await gw.client.delete("/api/v1/points/only-get", headers=bearer(hs256()))
        assert response.status_code == 405 and response.json()["status"] == 405

    @pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml",
                                              None])
    async def test_non_json_body_is_415(self, gw: GatewayUnderTest, content_type: str | None) -> None:
        headers = {**bearer(hs256()), **({"content-type": content_type} if content_type else {})}
        response = await gw.client.post(ECHO, content=b'{"a": 1}', headers=headers)
        assert response.status_code == 415, response.text
        assert response.json()["errors"][0]["field"] == "header.content-type"

    @pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                              "application/merge-patch+json", "multipart/form-data; boundary=x"])
    async def test_json_and_uploads_pass(self, gw: GatewayUnderTest, content_type: str) -> None:
        response = await gw.client.patch(ECHO, content=b"{}", headers={**bearer(hs256()), "content-type": content_type})
        assert response.status_code == 200

    async def test_bodiless_post_needs_no_content_type(self, gw: GatewayUnderTest) -> None:
        assert (await gw.client.post(ECHO, headers=bearer(hs256()))).status_code == 200

    async def test_chunked_body_without_length_is_413_before_full_read(self, gateway_factory: GatewayFactory
                                                                       ) -> None:
        sent = 0

        async def chunks() -> AsyncIterator[bytes]:
            nonlocal sent
            for _ in range(1000):  # would be 1 MB; the limit is 4 KB
                sent += 1024
                yield b"x" * 1024

        async with gateway_factory(max_body_bytes=4096) as gw:
            response = await gw.client.post(ECHO, content=chunks(), headers={
                **bearer(hs256()), "content-type": "application/json"})
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert sent < 1000 * 1024

    async def test_declared_oversized_body_is_413(self, gateway_factory: GatewayFactory) -> None:
        async with gateway_factory(max_body_bytes=4096) as gw:
            response = await gw.client.post(ECHO, content=b"x" * 5000, headers={
                **bearer(hs256()), "content-type": "application/json"})
        assert response.status_code == 413


class TestRateLimit:
    async def test_burst_over_the_limit_is_429_with_retry_after(self, gateway_factory: GatewayFactory) -> None:
        async with gateway_factory(rate_limit_per_second=0.5, rate_limit_burst=3) as gw:
            statuses = [(await gw.client.get(ECHO, headers=bearer(hs256(sub="d-busy")))).status_code
                        for _ in range(3)]
            limited = await gw.client.get(ECHO, headers=bearer(hs256(sub="d-busy")))
            other_user = await gw.client.get(ECHO, headers=bearer(hs256(sub="d-calm")))
        assert statuses == [200, 200, 200]
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        assert int(limited.headers["retry-after"]) == limited.json()["retry_after"] >= 1
        assert other_user.status_code == 200

    async def test_failed_logins_are_charged_to_the_ip(self, gateway_factory: GatewayFactory) -> None:
        async with gateway_factory(rate_limit_per_second=0.1, rate_limit_burst=2) as gw:
            statuses = [(await gw.client.get(ECHO, headers=bearer("guess-" + str(i)))).status_code
                        for i in range(3)]
        assert statuses == [401, 401, 429]


class TestUpstreamFailures:
    async def test_stopped_service_is_502_naming_it_and_others_answer(self, gw: GatewayUnderTest,
                                                                     upstreams: dict[str, Served]) -> None:
        await upstreams["points"].stop()
        down = await gw.client.get(ECHO, headers=bearer(hs256()))
        up = await gw.client.get("/api/v1/registry/echo", headers=bearer(hs256()))
        assert down.status_code == 502
        assert down.headers["content-type"] == "application/problem+json"
        assert down.json()["service"] == "points" and "points" in down.json()["detail"]
        assert up.status_code == 200 and up.json()["service"] == "registry"

    async def test_slow_service_is_504_with_request_id(self, gateway_factory: GatewayFactory) -> None:
        async with gateway_factory(upstream_timeout_seconds=0.3) as gw:
            slow, fast = await asyncio.gather(
                gw.client.get("/api/v1/points/slow", headers={**bearer(hs256()), "x-request-id": "req-slow-1"}),
                gw.client.get("/api/v1/registry/echo", headers=bearer(hs256())))
        assert slow.status_code == 504
        assert slow.json()["request_id"] == "req-slow-1" == slow.headers["x-request-id"]
        assert slow.json()["service"] == "points"
        assert fast.status_code == 200
        assert SLOW_SECONDS > 0.3


class TestOps:
    async def test_health_and_docs_need_no_token(self, gw: GatewayUnderTest) -> None:
        assert (await gw.client.get("/health")).status_code == 200
        assert (await gw.client.get("/docs")).status_code == 200
        spec = (await gw.client.get("/openapi.json")).json()
        assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        assert spec["paths"]["/api/v1/auth/wechat/login"]["post"]["security"] == []
