"""Jizhou reporting duties: due dates and the status of each report (Asia/Shanghai, due at end of day)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import cast

import pytest

from libs.kit.clock import SHANGHAI
from libs.kit.errors import InvalidInput
from services.evaluation.domain.catalog import load_framework
from services.evaluation.domain.periods import Period, PeriodKind
from services.evaluation.domain.reporting import Duty, DutyState, ReportingFramework, duty_board, duty_status
from services.evaluation.domain.submissions import Submission

JAN = Period(PeriodKind.MONTH, 2024, 1)


def jizhou() -> ReportingFramework:
    return cast(ReportingFramework, load_framework("jizhou-2019"))


def duty(duty_id: str) -> Duty:
    return next(d for d in jizhou().duties if d.id == duty_id)


def filed(at: datetime, *, version: int = 1, duty_id: str = "monthly-operations", unit_id: str = "chc-1",
          period_key: str = "2024-01") -> Submission:
    return Submission(duty_id, unit_id, period_key, version, at, f"doc-{version}")


class TestDueDates:
    def test_monthly_tables_are_due_on_the_3rd_of_the_next_month(self) -> None:
        assert duty("formation-summary").due_date(JAN) == date(2024, 2, 3)
        assert duty("monthly-operations").due_date(Period(PeriodKind.MONTH, 2024, 12)) == date(2025, 1, 3)

    def test_quarterly_summary_is_due_on_the_20th_of_the_last_month(self) -> None:
        q = duty("quarterly-summary")
        assert q.due_date(Period(PeriodKind.QUARTER, 2024, 1)) == date(2024, 3, 20)
        assert q.due_date(Period(PeriodKind.QUARTER, 2024, 4)) == date(2024, 12, 20)

    def test_wrong_period_kind(self) -> None:
        with pytest.raises(InvalidInput):
            duty("quarterly-summary").due_date(JAN)


class TestDueDateBoundary:
    """Due 2024-02-03: on time until 23:59:59 that day in Shanghai, i.e. 2024-02-03 15:59:59Z."""

    NOW = datetime(2024, 3, 1, tzinfo=SHANGHAI)

    @pytest.mark.parametrize(("at", "state", "late_days"), [
        (datetime(2024, 2, 3, 23, 59, 59, tzinfo=SHANGHAI), DutyState.ON_TIME, 0),
        (datetime(2024, 2, 3, 15, 59, 59, tzinfo=UTC), DutyState.ON_TIME, 0),
        # still 3 February in UTC, already 4 February 00:00 in Shanghai → late
        (datetime(2024, 2, 3, 16, 0, 0, tzinfo=UTC), DutyState.LATE, 1),
        (datetime(2024, 2, 1, 9, 0, tzinfo=SHANGHAI), DutyState.ON_TIME, 0),
        (datetime(2024, 2, 10, 9, 0, tzinfo=SHANGHAI), DutyState.LATE, 7),
    ])
    def test_submission(self, at: datetime, state: DutyState, late_days: int) -> None:
        status = duty_status(duty("monthly-operations"), "chc-1", JAN, [filed(at)], now=self.NOW)
        assert (status.state, status.days_late, status.due_date) == (state, late_days, date(2024, 2, 3))

    @pytest.mark.parametrize(("now", "state"), [
        (datetime(2024, 2, 3, 23, 59, 59, tzinfo=SHANGHAI), DutyState.PENDING),
        (datetime(2024, 2, 3, 16, 0, 0, tzinfo=UTC), DutyState.OVERDUE),
    ])
    def test_nothing_filed(self, now: datetime, state: DutyState) -> None:
        assert duty_status(duty("monthly-operations"), "chc-1", JAN, [], now=now).state is state

    def test_missing_once_the_evaluation_closed(self) -> None:
        closed = datetime(2025, 1, 31, tzinfo=SHANGHAI)
        status = duty_status(duty("monthly-operations"), "chc-1", JAN, [],
                             now=datetime(2025, 2, 1, tzinfo=SHANGHAI), closed_at=closed)
        assert status.state is DutyState.MISSING

    def test_naive_now_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as err:
            duty_status(duty("monthly-operations"), "chc-1", JAN, [], now=datetime(2024, 2, 3))
        assert err.value.field == "now"


class TestVersions:
    def test_timeliness_from_the_first_version_content_from_the_latest(self) -> None:
        versions = [filed(datetime(2024, 2, 2, 10, tzinfo=SHANGHAI)),
                    filed(datetime(2024, 2, 9, 10, tzinfo=SHANGHAI), version=2)]
        status = duty_status(duty("monthly-operations"), "chc-1", JAN, versions,
                             now=datetime(2024, 3, 1, tzinfo=SHANGHAI))
        assert (status.state, status.current_version, status.first_submitted_on) == (
            DutyState.ON_TIME, 2, date(2024, 2, 2))


class TestBoard:
    def test_every_duty_unit_and_period_since_start(self) -> None:
        units = {"district-hospital": "lead", "chc-1": "member"}
        submissions = [filed(datetime(2024, 2, 2, tzinfo=SHANGHAI)),
                       filed(datetime(2024, 3, 20, 12, tzinfo=SHANGHAI), duty_id="quarterly-summary",
                             unit_id="district-hospital", period_key="2024-Q1")]
        board = duty_board(jizhou(), units=units, start=date(2024, 1, 1),
                           now=datetime(2024, 3, 21, 9, tzinfo=SHANGHAI), submissions=submissions)
        # 2 monthly duties × 2 units × 3 months (Jan–Mar) + quarterly × 2 units × Q1
        assert len(board) == 14
        states = {(s.duty_id, s.unit_id, s.period.key): s.state for s in board}
        assert states[("monthly-operations", "chc-1", "2024-01")] is DutyState.ON_TIME
        assert states[("formation-summary", "chc-1", "2024-01")] is DutyState.OVERDUE
        assert states[("formation-summary", "chc-1", "2024-03")] is DutyState.PENDING
        assert states[("quarterly-summary", "district-hospital", "2024-Q1")] is DutyState.ON_TIME
        assert states[("quarterly-summary", "chc-1", "2024-Q1")] is DutyState.OVERDUE

    def test_nothing_owed_before_start(self) -> None:
        assert duty_board(jizhou(), units={"a": "lead"}, start=date(2025, 1, 1),
                          now=datetime(2024, 12, 1, tzinfo=SHANGHAI), submissions=[]) == []

    def test_unknown_role(self) -> None:
        with pytest.raises(InvalidInput) as err:
            duty_board(jizhou(), units={"a": "boss"}, start=date(2024, 1, 1),
                       now=datetime(2024, 2, 1, tzinfo=SHANGHAI), submissions=[])
        assert err.value.field == "units.a"
