"""Principal, roles and scopes (pure Python: usable from domain code)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from enum import StrEnum

from libs.kit.errors import Forbidden, Unauthorized


class Role(StrEnum):
    DOCTOR = "doctor"  # 医师（俱乐部会员）
    UNIT_ADMIN = "unit_admin"  # 成员单位联络员 / 科主任
    ALLIANCE_OFFICE = "alliance_office"  # 联盟管理办公室
    HEALTH_COMMISSION = "health_commission"  # 卫健委
    AUDITOR = "auditor"  # 审计
    INTEGRATION = "integration"  # 客服专线 / 急救转运等外部系统
    PLATFORM_ADMIN = "platform_admin"  # 平台运维（登记卫健委、初始化字典）


@dataclass(frozen=True)
class Principal:
    sub: str
    role: Role
    alliance_id: str | None = None
    institution_id: str | None = None
    region_code: str | None = None
    doctor_id: str | None = None
    name: str | None = None  # display only, never logged

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden(f"角色 {self.role.value} 无权执行此操作", field="role")

    def is_(self, *roles: Role) -> bool:
        return self.role in roles

    def to_json(self) -> str:
        data = asdict(self)
        data["role"] = self.role.value
        return json.dumps({k: v for k, v in data.items() if v is not None}, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Principal:
        data = json.loads(text)
        try:
            data["role"] = Role(data["role"])
            return cls(**data)
        except (KeyError, ValueError, TypeError) as exc:
            raise Unauthorized("身份信息无效", field="x-principal") from exc


def region_covers(commission_region: str | None, region_code: str | None) -> bool:
    """A commission at 430000 (province) covers 430100 (city) and 430104 (county); 430100 covers 4301xx."""
    if not commission_region or not region_code:
        return False
    trimmed = commission_region.rstrip("0")
    if len(trimmed) % 2:
        trimmed += "0"
    return region_code.startswith(trimmed)


# ---- the signed header between gateway and services ------------------------------------------------
PRINCIPAL_HEADER = "x-principal"
SIGNATURE_HEADER = "x-principal-signature"


def sign_principal(principal: Principal, key: str) -> dict[str, str]:
    payload = base64.urlsafe_b64encode(principal.to_json().encode()).decode()
    signature = hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return {PRINCIPAL_HEADER: payload, SIGNATURE_HEADER: signature}


def verify_principal(payload: str | None, signature: str | None, key: str) -> Principal:
    if not payload or not signature:
        raise Unauthorized("缺少身份信息，请先登录", field="authorization")
    expected = hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Unauthorized("身份信息签名无效", field="x-principal")
    try:
        text = base64.urlsafe_b64decode(payload.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unauthorized("身份信息无效", field="x-principal") from exc
    return Principal.from_json(text)
