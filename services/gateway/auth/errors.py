"""Why a token was refused: one stable ``code`` per reason, counted by the security audit."""

from __future__ import annotations

from libs.kit.errors import Unauthorized

_DETAILS = {
    "missing": "缺少访问令牌，请先登录",
    "malformed": "访问令牌格式无效",
    "alg_refused": "访问令牌的签名算法不被接受",
    "unknown_key": "访问令牌的签名密钥不受信任",
    "bad_signature": "访问令牌签名无效",
    "expired": "访问令牌已过期，请重新登录",
    "not_yet_valid": "访问令牌尚未生效",
    "wrong_audience": "访问令牌不适用于此接口",
    "wrong_issuer": "访问令牌的签发方不受信任",
    "missing_claim": "访问令牌缺少必需的声明",
    "bad_claims": "访问令牌的身份或范围声明无效",
}


class TokenRejected(Unauthorized):
    def __init__(self, code: str) -> None:
        super().__init__(_DETAILS.get(code, "访问令牌无效"), field="header.authorization", code=code,
                         headers={"WWW-Authenticate": _challenge(code)})
        self.code = code


def _challenge(code: str) -> str:
    # RFC 6750 §3: no error attribute when the client sent no credentials at all.
    return 'Bearer realm="alliance"' if code == "missing" else 'Bearer realm="alliance", error="invalid_token"'
