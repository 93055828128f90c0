"""Keyword-only builders that create registry data THROUGH THE API, reusable by gateway and e2e tests.

``RegistryApi`` wraps an httpx client: ``prefix`` is "" against the service and "/api/v1/registry" through the
gateway; ``auth(role, **scope)`` gives the headers of a caller (signed principal here, a JWT at the gateway).

The two reference alliances:
- ``build_hunan_pediatric``: 湖南省儿科专科联盟, lead 湖南省儿童医院 (长沙市雨花区), members in 株洲, 湘潭, 岳阳,
  常德 and 郴州 — province level, filed and approved by the 湖南省卫生健康委 (region 430000);
- ``build_haikou_neurosurgery``: 海口市神经外科专科联盟, lead 海口市人民医院, members in four Haikou districts —
  city level, filed by the 海口市卫生健康委 (region 460100).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
from stdnum.cn import ric, uscc

from libs.auth.principal import Role
from libs.auth.testing import as_principal
from libs.kit.clock import business_date


def today() -> date:
    """The service's business date (Asia/Shanghai), which decides 上一年度 and 不能晚于今天."""
    return business_date(datetime.now(timezone.utc))


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
Auth = Callable[..., dict[str, str]]


def valid_uscc(*, region_code: str, kind: str = "12") -> str:
    """A 统一社会信用代码 with a correct check digit (stdnum computes it); 12… is a 事业单位 (public hospital)."""
    body = f"{kind}{region_code}{random.randrange(10**8):08d}{random.choice('0123456789')}"
    return body + uscc.calc_check_digit(body)


def valid_resident_id(*, region_code: str = "430102", birth: str = "19850612") -> str:
    body = f"{region_code}{birth}{random.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def valid_practice_cert() -> str:
    return f"{random.randrange(10**15):015d}"


@dataclass
class RegistryApi:
    client: httpx.AsyncClient
    prefix: str = ""
    auth: Auth = as_principal

    async def call(self, method: str, path: str, *, role: Role, expect: int | None = None,
                   scope: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        headers = {**self.auth(role, **(scope or {})), **kwargs.pop("headers", {})}
        if method == "POST":
            headers.setdefault("Idempotency-Key", uuid.uuid4().hex)
        response = await self.client.request(method, self.prefix + path, headers=headers, **kwargs)
        if expect is not None and response.status_code != expect:
            raise AssertionError(f"{method} {path}: expected {expect}, got {response.status_code}: {response.text}")
        return response

    async def post(self, path: str, *, role: Role, expect: int | None = 201, scope: dict[str, Any] | None = None,
                   **kwargs: Any) -> Any:
        return (await self.call("POST", path, role=role, expect=expect, scope=scope, **kwargs)).json()

    async def get(self, path: str, *, role: Role, expect: int | None = 200, scope: dict[str, Any] | None = None,
                  **kwargs: Any) -> Any:
        return (await self.call("GET", path, role=role, expect=expect, scope=scope, **kwargs)).json()


# ---- bodies --------------------------------------------------------------------------------------------------
def institution_body(*, name: str, region_code: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name, "uscc": valid_uscc(region_code=region_code), "region_code": region_code,
        "nature": "政府办医疗机构", "grade": "三级甲等", "admin_rank": "正处级", "authorised_beds": 800,
        "open_beds": 900, "staff_total": 1500, "doctors": 400, "nurses": 700, "pharmacists": 60,
        "technicians": 120, "national_key_specialties": [], "provincial_key_specialties": ["儿科"],
        "city_key_specialties": [],
    }
    body.update(overrides)
    return body


def figures_body(*, year: int) -> dict[str, Any]:
    return {"year": year, "outpatient_visits": 1_250_000, "discharges": 86_000, "operations": 21_000,
            "cmi": "1.12", "minimally_invasive_pct": "35.5", "day_surgery_pct": "12.3", "grade4_surgery_pct": "18.7",
            "low_risk_mortality_pct": "0.0123", "out_of_area_pct": "41.2", "mean_stay_days": "6.8"}


def contact(name: str, phone: str = "13800138000", email: str | None = None) -> dict[str, Any]:
    return {"name": name, "phone": phone, "email": email}


def seat(name: str, institution_id: str, phone: str) -> dict[str, Any]:
    return {**contact(name, phone), "institution_id": institution_id}


# ---- steps ---------------------------------------------------------------------------------------------------
async def create_institution(*, api: RegistryApi, name: str, region_code: str,
                             role: Role = Role.PLATFORM_ADMIN, scope: dict[str, Any] | None = None,
                             **overrides: Any) -> dict[str, Any]:
    body = institution_body(name=name, region_code=region_code, **overrides)
    result: dict[str, Any] = await api.post("/institutions", role=role, scope=scope, json=body)
    return result


async def upload_documents(*, api: RegistryApi, alliance_id: str, scope: dict[str, Any],
                           kinds: tuple[str, ...] = ("charter", "agreement", "member_list")) -> list[dict[str, Any]]:
    return [await api.post(f"/alliances/{alliance_id}/documents", role=Role.ALLIANCE_OFFICE, scope=scope,
                           data={"kind": kind}, files={"file": (f"{kind}.pdf", PDF, "application/pdf")})
            for kind in kinds]


@dataclass
class BuiltAlliance:
    """What a builder made, and the callers that can act on it (scopes for ``RegistryApi`` calls)."""

    alliance: dict[str, Any]
    lead: dict[str, Any]
    members: list[dict[str, Any]]
    office: dict[str, Any]
    lead_admin: dict[str, Any]
    commission: dict[str, Any]
    founded_on: date | None = None
    documents: list[dict[str, Any]] = field(default_factory=list)
    vice_chair_ids: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.alliance["id"])

    def unit_admin(self, institution: dict[str, Any]) -> dict[str, Any]:
        return {"sub": f"admin-{institution['id'][:8]}", "institution_id": institution["id"]}


async def build_alliance(*, api: RegistryApi, name: str, region_code: str, specialty_code: str,
                         whole_province: bool, lead: tuple[str, str], members: list[tuple[str, str, str]],
                         commission_region: str, stage: str = "operating", founded_on: date | None = None,
                         figures_year: int | None = None) -> BuiltAlliance:
    """Register the units, draft as the lead's unit_admin, then go as far as ``stage`` (draft … operating)."""
    founded_on = founded_on or today() - timedelta(days=30)
    lead_row = await create_institution(api=api, name=lead[0], region_code=lead[1])
    member_rows = [await create_institution(api=api, name=n, region_code=r) for n, r, _ in members]
    lead_admin = {"sub": f"lead-admin-{lead_row['id'][:8]}", "institution_id": lead_row["id"]}
    heads = [{"institution_id": lead_row["id"], "role": "主席单位", "head": contact("李主任", "13907310001")}]
    heads += [{"institution_id": row["id"], "role": role, "head": contact(f"专科负责人{i}", f"139073100{i + 10}")}
              for i, (row, (_, _, role)) in enumerate(zip(member_rows, members, strict=True))]
    body = {"name": name, "region_code": region_code, "specialty_code": specialty_code,
            "service_area": {"whole_province": whole_province, "description": None if whole_province else name[:3]},
            "chair": contact("王主席", "13907310000"),
            "secretary": contact("赵秘书", "0731-84100000", "office@example.cn"),
            "specialty_summary": "本专科拥有国家临床重点专科，开展新生儿重症救治、小儿微创手术等先进技术。",
            "figures": figures_body(year=figures_year or today().year - 1), "members": heads,
            "joined_on": founded_on.isoformat()}
    alliance = await api.post("/alliances", role=Role.UNIT_ADMIN, scope=lead_admin, json=body)
    built = BuiltAlliance(alliance, lead_row, member_rows, office={"sub": f"office-{alliance['id'][:8]}",
                                                                   "alliance_id": alliance["id"]},
                          lead_admin=lead_admin, commission={"sub": f"wjw-{commission_region}",
                                                             "region_code": commission_region},
                          vice_chair_ids=[row["id"] for row, m in zip(member_rows, members, strict=True)
                                          if m[2] == "副主席单位"])
    return await advance(api=api, built=built, stage=stage, founded_on=founded_on)


STAGES = ("draft", "submitted", "approved", "preparing", "operating")


async def advance(*, api: RegistryApi, built: BuiltAlliance, stage: str, founded_on: date) -> BuiltAlliance:
    """Walk the filing lifecycle up to ``stage``: submit, approve (commission), start preparing, open."""
    target = STAGES.index(stage)
    path = f"/alliances/{built.id}"
    steps = [("submit", Role.ALLIANCE_OFFICE, built.office, None),
             ("approve", Role.HEALTH_COMMISSION, built.commission, None),
             ("start-preparing", Role.ALLIANCE_OFFICE, built.office, None)]
    for action, role, scope, body in steps[:target]:
        built.alliance = await api.post(f"{path}/{action}", role=role, scope=scope, json=body, expect=200)
    if target >= STAGES.index("operating"):
        built.documents = await upload_documents(api=api, alliance_id=built.id, scope=built.office)
        council = {"chair": seat("王主席", built.lead["id"], "13907310000"),
                   "vice_chairs": [seat(f"副主席{i}", vice_id, f"1390731002{i}")
                                   for i, vice_id in enumerate(built.vice_chair_ids)],
                   "secretary": seat("赵秘书", built.lead["id"], "13907310003")}
        built.alliance = await api.post(f"{path}/open", role=Role.ALLIANCE_OFFICE, scope=built.office,
                                        json={"founded_on": founded_on.isoformat(), "council": council}, expect=200)
        built.founded_on = founded_on
    return built


HUNAN_MEMBERS = [("株洲市妇幼保健院", "430211", "副主席单位"), ("湘潭市中心医院", "430304", "副主席单位"),
                 ("岳阳市妇幼保健院", "430602", "成员单位"), ("常德市第一人民医院", "430702", "成员单位"),
                 ("郴州市第一人民医院", "431002", "成员单位")]
HAIKOU_MEMBERS = [("海口市中医医院", "460106", "副主席单位"), ("海口市第三人民医院", "460107", "成员单位"),
                  ("海口市第四人民医院", "460105", "成员单位")]


async def build_hunan_pediatric(*, api: RegistryApi, stage: str = "operating", founded_on: date | None = None,
                                figures_year: int | None = None) -> BuiltAlliance:
    """湖南省儿科专科联盟: province level, filed by the 湖南省卫生健康委 (430000)."""
    return await build_alliance(api=api, name="湖南省儿科专科联盟", region_code="430000", specialty_code="07",
                                whole_province=True, lead=("湖南省儿童医院", "430111"), members=HUNAN_MEMBERS,
                                commission_region="430000", stage=stage, founded_on=founded_on,
                                figures_year=figures_year)


async def build_haikou_neurosurgery(*, api: RegistryApi, stage: str = "operating", founded_on: date | None = None,
                                    figures_year: int | None = None) -> BuiltAlliance:
    """海口市神经外科专科联盟: city level (members span Haikou's districts), filed by 海口市卫生健康委 (460100)."""
    return await build_alliance(api=api, name="海口市神经外科专科联盟", region_code="460100", specialty_code="04.02",
                                whole_province=False, lead=("海口市人民医院", "460108"), members=HAIKOU_MEMBERS,
                                commission_region="460100", stage=stage, founded_on=founded_on,
                                figures_year=figures_year)


async def register_doctor(*, api: RegistryApi, institution_id: str, name: str = "张医生",
                          resident_id: str | None = None, role: Role = Role.UNIT_ADMIN,
                          scope: dict[str, Any] | None = None, starts_on: date | None = None) -> dict[str, Any]:
    """As the unit's own unit_admin unless another caller is given."""
    body = {"name": name, "practice_cert_no": valid_practice_cert(), "resident_id": resident_id,
            "institution_id": institution_id, "department": "儿科",
            "starts_on": (starts_on or today() - timedelta(days=10)).isoformat()}
    result: dict[str, Any] = await api.post("/doctors", role=role, json=body,
                                            scope=scope or {"sub": f"admin-{institution_id[:8]}",
                                                            "institution_id": institution_id})
    return result
