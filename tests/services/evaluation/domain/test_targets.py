"""Jizhou targets checked from counts: 市级专家指导 ≥ 2/年, 成员培训 ≥ 1/季度, 每月处方点评, 双向转诊."""

from __future__ import annotations

from datetime import date
from typing import cast

from services.evaluation.domain.catalog import load_framework
from services.evaluation.domain.reporting import ReportingFramework
from services.evaluation.domain.targets import Target, TargetState, check_targets

UNITS = {"district-hospital": "lead", "chc-1": "member", "chc-2": "member"}


def targets() -> tuple[Target, ...]:
    return cast(ReportingFramework, load_framework("jizhou-2019")).targets


def states(counts: dict[tuple[str, str, str], object], *, as_of: date) -> dict[tuple[str, str, str], TargetState]:
    checks = check_targets(targets(), units=UNITS, start=date(2024, 1, 1), as_of=as_of, counts=counts)
    return {(c.target_id, c.unit_id, c.period.key): c.state for c in checks}


class TestTargets:
    def test_a_year_of_checks(self) -> None:
        counts: dict[tuple[str, str, str], object] = {
            ("city_expert_guidance", "district-hospital", "2024"): 1,
            ("trainings_received", "chc-1", "2024-Q1"): 2,
            ("prescription_reviews", "district-hospital", "2024-01"): 1,
            ("referrals_up", "chc-1", "2024"): 5, ("referrals_down", "chc-1", "2024"): 1,
            ("referrals_up", "chc-2", "2024"): 3,
        }
        got = states(counts, as_of=date(2025, 1, 10))
        assert got[("city-expert-guidance", "district-hospital", "2024")] is TargetState.NOT_MET
        assert got[("member-training", "chc-1", "2024-Q1")] is TargetState.MET
        assert got[("member-training", "chc-2", "2024-Q1")] is TargetState.NOT_MET
        assert got[("prescription-review", "district-hospital", "2024-01")] is TargetState.MET
        assert got[("prescription-review", "district-hospital", "2024-02")] is TargetState.NOT_MET
        assert got[("two-way-referral", "chc-1", "2024")] is TargetState.MET
        assert got[("two-way-referral", "chc-2", "2024")] is TargetState.NOT_MET  # no down-referral
        assert ("member-training", "district-hospital", "2024-Q1") not in got  # lead is not trained by itself

    def test_a_running_period_is_in_progress(self) -> None:
        got = states({}, as_of=date(2024, 2, 15))
        assert got[("city-expert-guidance", "district-hospital", "2024")] is TargetState.IN_PROGRESS
        assert got[("prescription-review", "district-hospital", "2024-01")] is TargetState.NOT_MET
        assert got[("prescription-review", "district-hospital", "2024-02")] is TargetState.IN_PROGRESS

    def test_met_early(self) -> None:
        got = states({("city_expert_guidance", "district-hospital", "2024"): 2}, as_of=date(2024, 5, 1))
        assert got[("city-expert-guidance", "district-hospital", "2024")] is TargetState.MET
