"""WeChat login and binding: the use cases behind the routes.

The openid is kept only as a keyed HMAC (``pseudonym_key``) of ``appid:openid``. Bind codes are 10 characters
of Crockford base32 (≈50 bits), one-time, bound to one doctor, valid ``bind_code_ttl_hours``, stored as SHA-256;
every failed bind is audited and rate-limited, so guessing is not practical.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from libs.auth.principal import Principal, Role
from libs.kit.clock import Clock
from libs.kit.errors import Unauthorized
from services.gateway.auth.issuer import TokenIssuer
from services.gateway.wechat.bindings import Binding, BindingStore, IssuedCode
from services.gateway.wechat.code2session import Code2Session

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U to misread
CODE_LENGTH = 10


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    principal: Principal


@dataclass(frozen=True)
class NewBindCode:
    code: str
    expires_at: datetime


class WeChatLogin:
    def __init__(self, *, wechat: Code2Session, store: BindingStore, issuer: TokenIssuer, clock: Clock,
                 appid: str, pseudonym_key: str, code_ttl: timedelta) -> None:
        self._wechat, self._store, self._issuer, self._clock = wechat, store, issuer, clock
        self._appid, self._key, self._code_ttl = appid, pseudonym_key.encode(), code_ttl

    async def login(self, wx_code: str) -> IssuedToken:
        binding = await self._store.find(await self._openid_digest(wx_code))
        if binding is None:
            raise Unauthorized("该微信尚未绑定医师，请输入单位发放的绑定码完成绑定", field="body.code",
                               code="wechat_not_bound")
        return self._token(binding)

    async def bind(self, wx_code: str, doctor_id: str, bind_code: str) -> IssuedToken:
        openid_digest = await self._openid_digest(wx_code)
        binding = await self._store.redeem(code_digest(bind_code), doctor_id, openid_digest, self._clock.now())
        if binding is None:
            raise Unauthorized("绑定码无效、已使用或已过期", field="body.bind_code", code="bind_code_invalid")
        return self._token(binding)

    async def issue_code(self, binding: Binding, issued_by: Principal) -> NewBindCode:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        expires_at = self._clock.now() + self._code_ttl
        await self._store.issue(code_digest(code), IssuedCode(binding, f"{issued_by.role.value}:{issued_by.sub}",
                                                               expires_at))
        return NewBindCode(code, expires_at)

    async def _openid_digest(self, wx_code: str) -> str:
        identity = await self._wechat.exchange(wx_code)
        return hmac.new(self._key, f"{self._appid}:{identity.openid}".encode(), hashlib.sha256).hexdigest()

    def _token(self, binding: Binding) -> IssuedToken:
        principal = Principal(sub=binding.doctor_id, role=Role.DOCTOR, doctor_id=binding.doctor_id,
                              alliance_id=binding.alliance_id, institution_id=binding.institution_id)
        return IssuedToken(self._issuer.mint(principal), int(self._issuer.ttl.total_seconds()), principal)


def normalize_code(code: str) -> str:
    """Codes are read aloud and typed: case, spaces and hyphens do not matter; O/I/L read as 0/1/1."""
    cleaned = code.upper().replace("-", "").replace(" ", "")
    return cleaned.translate(str.maketrans("OIL", "011"))


def code_digest(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()
