"""The jscode2session port: a deterministic fake for dev/tests and the real WeChat HTTP call.

Only the openid (and unionid when present) is kept; the ``session_key`` is dropped at once — the gateway does
not decrypt user data. The appid secret travels in the query string (WeChat's API wants it there), so it is
kept out of logs twice: a filter on the ``httpx`` logger masks ``secret=`` in its request lines whatever the log
level, and our own errors are reported by type only (an httpx error message may contain the URL).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Protocol

import httpx
from pydantic import SecretStr

from libs.kit.errors import AppError, Unauthorized

log = logging.getLogger("wechat")
_INVALID_CODE = {40029, 40163}  # invalid code; code already used


@dataclass(frozen=True, repr=False)
class WeChatIdentity:
    openid: str
    unionid: str | None = None

    def __repr__(self) -> str:
        return "WeChatIdentity(<redacted>)"


class WeChatUnavailable(AppError):
    status = 502
    slug = "wechat-unavailable"
    title = "微信服务暂不可用"


def code_rejected() -> Unauthorized:
    return Unauthorized("微信登录凭证无效或已使用，请重新登录", field="body.code", code="wechat_code_invalid")


class Code2Session(Protocol):
    async def exchange(self, code: str) -> WeChatIdentity: ...


class FakeCode2Session:
    """Dev/tests: the same code always gives the same openid; codes starting with ``invalid`` are refused."""

    async def exchange(self, code: str) -> WeChatIdentity:
        if code.startswith("invalid"):
            raise code_rejected()
        return WeChatIdentity(openid="o" + hashlib.sha256(b"fake-wechat:" + code.encode()).hexdigest()[:27])


class _MaskSecret(logging.Filter):
    _SECRET = re.compile(r"(secret=)[^&\s\"']*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._SECRET.sub(r"\1***", str(a)) if "secret=" in str(a) else a
                                for a in record.args)
        return True


def _mask_httpx_logs() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _MaskSecret) for f in logger.filters):
        logger.addFilter(_MaskSecret())


class WeChatCode2Session:
    def __init__(self, appid: str, secret: SecretStr, *, base_url: str, timeout: float = 5.0) -> None:
        self._appid, self._secret = appid, secret
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout)
        _mask_httpx_logs()

    async def exchange(self, code: str) -> WeChatIdentity:
        params = {"appid": self._appid, "secret": self._secret.get_secret_value(), "js_code": code,
                  "grant_type": "authorization_code"}
        try:
            response = await self._client.get("/sns/jscode2session", params=params)
            # WeChat answers JSON with a text/plain content type, so parse the text ourselves.
            data = json.loads(response.text)
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("jscode2session call failed", extra={"error": type(exc).__name__})
            raise WeChatUnavailable("微信服务暂不可用，请稍后重试") from exc
        return _identity(data)

    async def close(self) -> None:
        await self._client.aclose()


def _identity(data: dict[str, object]) -> WeChatIdentity:
    raw = data.get("errcode") or 0
    errcode = raw if isinstance(raw, int) else -1
    if errcode in _INVALID_CODE:
        raise code_rejected()
    openid = data.get("openid")
    if errcode or not isinstance(openid, str) or not openid:
        log.warning("jscode2session refused", extra={"errcode": errcode})
        raise WeChatUnavailable("微信服务暂不可用，请稍后重试", code=f"wechat_{errcode}")
    unionid = data.get("unionid")
    return WeChatIdentity(openid=openid, unionid=unionid if isinstance(unionid, str) else None)
