"""The real jscode2session client against a stand-in WeChat server on loopback; the secret is never logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from pydantic import SecretStr

from libs.kit.errors import AppError, Unauthorized
from services.gateway.wechat.code2session import FakeCode2Session, WeChatCode2Session, WeChatUnavailable
from tests.services.gateway.upstream import serve

SECRET = "wechat-app-secret-do-not-log"
ANSWERS: dict[str, dict[str, Any]] = {
    "good": {"openid": "oAbc123", "session_key": "sk-should-be-dropped", "unionid": "uXyz"},
    "used": {"errcode": 40163, "errmsg": "code been used"},
    "busy": {"errcode": -1, "errmsg": "system error"},
}


def fake_wechat() -> FastAPI:
    app = FastAPI()

    @app.get("/sns/jscode2session")
    async def jscode2session(request: Request) -> PlainTextResponse:
        q = request.query_params
        assert (q["appid"], q["secret"], q["grant_type"]) == ("wx-app", SECRET, "authorization_code")
        import json

        return PlainTextResponse(json.dumps(ANSWERS[q["js_code"]]))  # WeChat's own text/plain JSON

    return app


@pytest.fixture
async def client():
    async with serve(fake_wechat()) as served:
        wechat = WeChatCode2Session("wx-app", SecretStr(SECRET), base_url=served.url)
        try:
            yield wechat
        finally:
            await wechat.close()


class TestWeChatCode2Session:
    async def test_openid_and_unionid_kept_session_key_dropped(self, client: WeChatCode2Session) -> None:
        identity = await client.exchange("good")
        assert (identity.openid, identity.unionid) == ("oAbc123", "uXyz")
        assert "oAbc123" not in repr(identity) and not hasattr(identity, "session_key")

    @pytest.mark.parametrize("code,error,status", [("used", Unauthorized, 401), ("busy", WeChatUnavailable, 502)])
    async def test_errors_map_to_problems(self, client: WeChatCode2Session, code: str, error: type[AppError],
                                          status: int) -> None:
        with pytest.raises(error) as raised:
            await client.exchange(code)
        assert raised.value.status == status

    async def test_unreachable_is_502(self) -> None:
        wechat = WeChatCode2Session("wx-app", SecretStr(SECRET), base_url="http://127.0.0.1:9", timeout=1)
        with pytest.raises(WeChatUnavailable):
            await wechat.exchange("good")
        await wechat.close()

    async def test_secret_is_never_logged(self, client: WeChatCode2Session, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        for code in ("good", "used", "busy"):
            try:
                await client.exchange(code)
            except AppError:
                pass
        assert SECRET not in caplog.text and "sk-should-be-dropped" not in caplog.text


async def test_fake_is_deterministic() -> None:
    fake = FakeCode2Session()
    assert (await fake.exchange("c")).openid == (await fake.exchange("c")).openid != (await fake.exchange("d")).openid
