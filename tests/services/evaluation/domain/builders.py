"""Keyword-only builders of inputs for the shipped frameworks: a passing baseline, overridden per test."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal


def hunan_inputs(**overrides: object) -> dict[str, object]:
    """A Hunan alliance meeting every requirement (all documents, no declines)."""
    inputs: dict[str, object] = dict(
        has_charter=True, has_performance_method=True,
        has_work_plan=True, has_council=True, has_daily_office=True,
        self_evaluations=1, members_evaluated=True,
        has_homogenisation_rules=True,
        priority_reception=True, priority_examination=True, priority_admission=True,
        cooperation_kinds=["专科人才培养", "业务技术合作", "双向转诊服务"],
        staff_dispatched=4,
        new_technique_projects=2, has_training_records=True, has_guidance_records=True,
        has_image_records=True, has_technique_promotion=True,
        has_trainee_rules=True, trainee_rules_executed=True,
        mutual_recognition=True, remote_services=True, remote_service_volume=130,
        lead_outpatient_visits=100000, lead_operations=4800, lead_discharges=12000, lead_disease_types=300,
        lead_grade34_operations=2000,
        member_outpatient_visits=49000, member_operations=1000, member_discharges=8000, member_disease_types=160,
        lead_drg_groups=590, lead_cmi=Decimal("1.10"),
        member_drg_groups=400, member_cmi=Decimal("0.88"),
        down_referrals=35,
        member_outpatient_satisfaction=Decimal("95"), member_inpatient_satisfaction=Decimal("95.0"),
    )
    inputs.update(overrides)
    return inputs


YOY_METRICS = (
    "remote_service_volume", "lead_outpatient_visits", "lead_operations", "lead_discharges", "lead_disease_types",
    "lead_grade34_operations", "member_outpatient_visits", "member_operations", "member_discharges",
    "member_disease_types", "lead_drg_groups", "lead_cmi", "member_drg_groups", "member_cmi",
    "member_outpatient_satisfaction", "member_inpatient_satisfaction",
)


def hunan_previous(**overrides: object) -> dict[str, object]:
    """Last year equal to the baseline this year (flat: no deduction)."""
    baseline = hunan_inputs()
    previous = {metric: baseline[metric] for metric in YOY_METRICS}
    previous.update(overrides)
    return previous


def guidance_days(count: int, *, duplicates: int = 0, start: date = date(2024, 3, 1)) -> list[date]:
    """``count`` distinct days of 专家下派指导, plus ``duplicates`` second visits on days already counted."""
    days = [start + timedelta(days=7 * i) for i in range(count)]
    return days + days[:duplicates]


def haikou_inputs(**overrides: object) -> dict[str, object]:
    """A Haikou alliance with full marks (100)."""
    inputs: dict[str, object] = dict(
        has_charter=True, office_meetings=12, academic_conference_held=True,
        expert_guidance_dates=guidance_days(20), trainees_received=10,
        referral_standards_made=True, referral_standards_in_use=True,
        referred_patients=10, result_sharing_platform=True, result_sharing=True,
        research_projects=["approved", "approved", "approved"], party_activities=5,
        member_outpatient_visits=110000, member_inpatient_admissions=5500, member_operations=1100,
    )
    inputs.update(overrides)
    return inputs


def haikou_previous(**overrides: object) -> dict[str, object]:
    previous: dict[str, object] = dict(
        member_outpatient_visits=100000, member_inpatient_admissions=5000, member_operations=1000,
    )
    previous.update(overrides)
    return previous
