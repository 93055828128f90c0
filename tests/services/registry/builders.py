"""Keyword-only builders with unique ids for registry domain tests."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timezone

from stdnum.cn import ric, uscc

from services.registry.domain.alliance import MemberRole, Roster, RosterEntry
from services.registry.domain.contact import Contact

_serial = itertools.count(1)
AT = datetime(2025, 3, 1, 2, 0, tzinfo=timezone.utc)


def random_id(prefix: str = "id") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_uscc(*, region_code: str = "430000") -> str:
    """A valid 统一社会信用代码 of a 事业单位 (12…) with a unique organisation code."""
    body = f"12{region_code}{next(_serial):08d}8"
    return body + uscc.calc_check_digit(body)


def make_ric(*, region_code: str = "430102", birth: str = "19900101", seq: str = "123") -> str:
    body = f"{region_code}{birth}{seq}"
    return body + ric.calc_check_digit(body + "0")


def institution_values(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "name": "湖南省儿童医院",
        "uscc": make_uscc(),
        "region_code": "430103",
        "nature": "政府办医疗机构",
        "grade": "三级甲等",
        "admin_rank": "正处级",
        "authorised_beds": 2000,
        "open_beds": 2300,
        "staff_total": 4000,
        "doctors": 900,
        "nurses": 1800,
        "pharmacists": 120,
        "technicians": 300,
        "national_key_specialties": "新生儿专业、小儿呼吸专业",
        "provincial_key_specialties": ["07.05"],
        "city_key_specialties": None,
    }
    values.update(overrides)
    return values


def contact(*, name: str = "张医生", phone: str = "13800138000", email: str | None = None) -> Contact:
    return Contact.create(name=name, phone=phone, email=email)


def entry(*, role: MemberRole = MemberRole.MEMBER, region_code: str = "430102", name: str | None = None,
          institution_id: str | None = None) -> RosterEntry:
    return RosterEntry(institution_id or random_id("inst"), name or f"医院{next(_serial)}", region_code, role,
                       contact())


def roster(*region_codes: str, lead_region: str | None = None) -> Roster:
    lead = entry(role=MemberRole.LEAD, region_code=lead_region or region_codes[0])
    return Roster.create([lead, *(entry(region_code=code) for code in region_codes)])
