"""Reporting duties (报送任务, Jizhou ``jizhou-2019``): periods, due dates and the status of each report.

Due rules: ``day_of_following_month`` — the report for month M is due on day N of month M+1
(每月3日前填写上月报表); ``day_of_last_month`` — due on day N of the period's last month
(每个季度最后一个月的20日前报送季度总结). Due at the end of that day, Asia/Shanghai (see ``deadlines``).

States: 按时提交 (first version by the due date), 逾期提交 (first version after it), 待提交 (nothing yet,
not yet due), 逾期未交 (nothing, past due, still open), 缺报 (nothing and the evaluation period closed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from libs.kit.clock import business_date
from libs.kit.errors import InvalidInput
from services.evaluation.domain import config
from services.evaluation.domain.deadlines import days_late, is_on_time, require_aware
from services.evaluation.domain.periods import Period, PeriodKind, periods_between
from services.evaluation.domain.submissions import Submission, current_version, first_version
from services.evaluation.domain.targets import Target, parse_target

ROLES = ("lead", "member")  # 牵头单位（区医院）/ 成员单位
DUE_RULES = ("day_of_following_month", "day_of_last_month")


class DutyState(StrEnum):
    ON_TIME = "按时提交"
    LATE = "逾期提交"
    PENDING = "待提交"
    OVERDUE = "逾期未交"
    MISSING = "缺报"


@dataclass(frozen=True)
class Duty:
    id: str
    name: str
    period_kind: PeriodKind
    due_rule: str
    due_day: int
    roles: frozenset[str]
    receiver: str

    def due_date(self, period: Period) -> date:
        if period.kind is not self.period_kind:
            raise InvalidInput(f"{self.name}按{self.period_kind}报送", field="period")
        if self.due_rule == "day_of_following_month":
            after = period.next().start
            return date(after.year, after.month, self.due_day)
        return date(period.year, period.last_month, self.due_day)


@dataclass(frozen=True)
class ReportingFramework:
    id: str
    version: int
    title: str
    source: str
    effective_from: date
    duties: tuple[Duty, ...]
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class DutyStatus:
    duty_id: str
    duty_name: str
    unit_id: str
    period: Period
    due_date: date
    state: DutyState
    current_version: int | None
    first_submitted_on: date | None
    days_late: int


def parse_reporting_framework(raw: Mapping[str, Any]) -> ReportingFramework:
    header = config.read_header(raw)
    duties = tuple(_duty(d, f"duties[{i}]") for i, d in enumerate(config.req_tables(raw, "duties", "")))
    targets = tuple(parse_target(t, f"targets[{i}]") for i, t in enumerate(raw.get("targets", [])))
    return ReportingFramework(header.id, header.version, header.title, header.source, header.effective_from,
                              duties, targets)


def _duty(raw: Mapping[str, Any], path: str) -> Duty:
    roles = raw.get("roles", list(ROLES))
    if not isinstance(roles, list) or not roles or any(r not in ROLES for r in roles):
        raise config.bad(f"{path}.roles", f"应为{'、'.join(ROLES)}中的若干项")
    kind = PeriodKind(config.req_choice(raw, "period", path, [k.value for k in PeriodKind]))
    due_day = config.req_int(raw, "due_day", path, minimum=1)
    if due_day > 28:  # every month has the day, so a due date always exists
        raise config.bad(f"{path}.due_day", "应在1至28之间")
    return Duty(config.req_id(raw, "id", path), config.req_str(raw, "name", path), kind,
                config.req_choice(raw, "due_rule", path, DUE_RULES), due_day, frozenset(roles),
                config.opt_str(raw, "receiver", path))


def duty_status(duty: Duty, unit_id: str, period: Period, submissions: Sequence[Submission], *,
                now: datetime, closed_at: datetime | None = None) -> DutyStatus:
    """The state of one report (duty × unit × period) at ``now``; ``submissions`` are its versions."""
    require_aware(now, "now")
    due = duty.due_date(period)
    first, latest = first_version(submissions), current_version(submissions)
    if first is None:
        state = _unfiled_state(due, now, closed_at)
        return DutyStatus(duty.id, duty.name, unit_id, period, due, state, None, None,
                          days_late(now, due) if state is not DutyState.PENDING else 0)
    on_time = is_on_time(first.submitted_at, due)
    return DutyStatus(duty.id, duty.name, unit_id, period, due,
                      DutyState.ON_TIME if on_time else DutyState.LATE,
                      latest.version if latest else None, business_date(first.submitted_at),
                      days_late(first.submitted_at, due))


def _unfiled_state(due: date, now: datetime, closed_at: datetime | None) -> DutyState:
    if closed_at is not None and now >= require_aware(closed_at, "closed_at"):
        return DutyState.MISSING
    return DutyState.PENDING if is_on_time(now, due) else DutyState.OVERDUE


def duty_board(framework: ReportingFramework, *, units: Mapping[str, str], start: date, now: datetime,
               submissions: Sequence[Submission], closed_at: datetime | None = None) -> list[DutyStatus]:
    """Every report owed since ``start`` (the alliance's or unit's first reporting day) up to ``now``:
    one status per duty × unit (by role) × period that has begun."""
    _check_units(units)
    today = business_date(require_aware(now, "now"))
    if start > today:
        return []
    board = []
    for duty in framework.duties:
        for unit_id, role in sorted(units.items()):
            if role not in duty.roles:
                continue
            for period in periods_between(duty.period_kind, start, today):
                versions = [s for s in submissions
                            if (s.duty_id, s.unit_id, s.period_key) == (duty.id, unit_id, period.key)]
                board.append(duty_status(duty, unit_id, period, versions, now=now, closed_at=closed_at))
    return board


def _check_units(units: Mapping[str, str]) -> None:
    for unit_id, role in units.items():
        if role not in ROLES:
            raise InvalidInput(f"单位角色无效：{role}", field=f"units.{unit_id}")
