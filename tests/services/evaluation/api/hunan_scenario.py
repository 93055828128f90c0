"""A Hunan specialty alliance (湖南省专科联盟) set up through events and the API, for scorecard tests.

Units: lead ``<a>-lead`` (牵头单位), members ``<a>-m1`` and ``<a>-m2``. Figures are filed for 2024 (last year, for
同比) and 2025 by the office (alliance as a whole), the lead (``lead_*``) and the members (``member_*``, combined).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tests.harness.services import RunningService

from . import referral_events as rf
from .harness import directory, office, post, publish, unit_admin

OFFICE_2025: dict[str, Any] = dict(
    has_charter=True, has_performance_method=True, has_work_plan=True, has_council=True, has_daily_office=False,
    has_homogenisation_rules=True, cooperation_kinds=["专科人才培养", "业务技术合作", "双向转诊服务"],
    new_technique_projects=2, has_training_records=True, has_guidance_records=True, has_image_records=False,
    has_technique_promotion=True, has_trainee_rules=True, trainee_rules_executed=True, remote_services=True,
)
LEAD_2024: dict[str, Any] = dict(lead_outpatient_visits=100000, lead_operations=4800, lead_discharges=12000,
                                 lead_disease_types=300, lead_grade34_operations=2000, lead_drg_groups=590,
                                 lead_cmi="1.10")
LEAD_2025: dict[str, Any] = dict(lead_outpatient_visits=96600, lead_operations=5000, lead_discharges=12000,
                                 lead_disease_types=300, lead_grade34_operations=2100, lead_drg_groups=600,
                                 lead_cmi="1.05")
M1_2024: dict[str, Any] = dict(member_outpatient_visits=29000, member_operations=500, member_discharges=4000,
                               member_disease_types=80, member_drg_groups=200, member_cmi="0.88",
                               member_outpatient_satisfaction="95", member_inpatient_satisfaction="95")
M2_2024: dict[str, Any] = dict(M1_2024, member_outpatient_visits=20000)
M1_2025: dict[str, Any] = dict(M1_2024, member_outpatient_visits=30000, member_outpatient_satisfaction="89.8",
                               member_inpatient_satisfaction="93.5")
M2_2025: dict[str, Any] = dict(M1_2024, member_outpatient_visits=20000, member_operations=490,
                               member_disease_types=70, member_outpatient_satisfaction="90.0",
                               member_inpatient_satisfaction="93.5")


@dataclass(frozen=True)
class Hunan:
    alliance_id: str
    lead: str
    m1: str
    m2: str
    period_2024: str
    period_2025: str


async def open_period(svc: RunningService, alliance_id: str, year: int, framework_id: str = "hunan-alliance-2024",
                      due: str = "2099-12-31") -> str:
    r = await post(svc.client, f"/alliances/{alliance_id}/periods",
                   {"year": year, "framework_id": framework_id, "statistics_due": due}, office(alliance_id))
    assert r.status_code == 201, r.text
    period_id: str = r.json()["period_id"]
    return period_id


async def file(svc: RunningService, period_id: str, values: dict[str, Any], headers: dict[str, str],
               **extra: Any) -> dict[str, Any]:
    r = await post(svc.client, f"/periods/{period_id}/statistics", {"values": values, **extra}, headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def hunan_alliance(svc: RunningService, alliance_id: str, *, office_2025: dict[str, Any] | None = None,
                         region_code: str = "430000") -> Hunan:
    lead, m1, m2 = f"{alliance_id}-lead", f"{alliance_id}-m1", f"{alliance_id}-m2"
    await directory(svc, alliance_id=alliance_id, region_code=region_code,
                    units={lead: "lead", m1: "member", m2: "vice_chair"})
    p24, p25 = await open_period(svc, alliance_id, 2024), await open_period(svc, alliance_id, 2025)
    await file(svc, p25, OFFICE_2025 if office_2025 is None else office_2025, office(alliance_id))
    for period, lead_values, m1_values, m2_values in ((p24, LEAD_2024, M1_2024, M2_2024),
                                                      (p25, LEAD_2025, M1_2025, M2_2025)):
        await file(svc, period, lead_values, unit_admin(lead))
        await file(svc, period, m1_values, unit_admin(m1))
        await file(svc, period, m2_values, unit_admin(m2))
    return Hunan(alliance_id, lead, m1, m2, p24, p25)


async def hunan_events(svc: RunningService, h: Hunan) -> None:
    """2025: 2 down-referrals by the lead, 优先接诊 and 优先检查 (no 优先住院), 2 consults, 1 结果互认;
    2024: 3 consults and a down-referral (last year's: not counted in 2025)."""
    a = h.alliance_id
    await publish(svc,
                  rf.arrived(alliance_id=a, direction="down", referring=h.lead, receiving=h.m1, day=date(2025, 3, 10)),
                  rf.arrived(alliance_id=a, direction="down", referring=h.lead, receiving=h.m1, day=date(2025, 6, 10),
                             to_status="completed"),
                  rf.arrived(alliance_id=a, direction="down", referring=h.lead, receiving=h.m2,
                             day=date(2024, 12, 31)),
                  rf.green_channel(alliance_id=a, institution_id=h.lead, service="reception", day=date(2025, 4, 1)),
                  rf.green_channel(alliance_id=a, institution_id=h.lead, service="examination", day=date(2025, 4, 1)),
                  *[rf.consult(alliance_id=a, requester=h.m1, responder=h.lead, day=date(2025, 5, d)) for d in (1, 2)],
                  *[rf.consult(alliance_id=a, requester=h.m2, responder=h.lead, day=date(2024, 5, d))
                    for d in (1, 2, 3)],
                  rf.recognized(alliance_id=a, requester=h.m2, responder=h.lead, day=date(2025, 7, 1)))
