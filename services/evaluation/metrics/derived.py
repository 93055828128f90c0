"""Metrics the platform computes from events it consumed — never typed in by a unit.

Consumers count raw *counters* per (alliance, unit, business date); this catalog says how a framework metric is
made from them: which counters, over which units (the lead unit, every unit, or the evaluated unit) and in
what shape (a count, a yes/no, the list of distinct days). A metric listed here cannot be submitted as a
statistic: the score line shows "平台统计（事件）" as its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Counter(StrEnum):
    """Raw counters the consumers keep (one per consumed fact, on the unit the fact belongs to)."""

    UP_SENT = "referral.up.sent"  # 上转（转出单位）
    UP_RECEIVED = "referral.up.received"
    DOWN_SENT = "referral.down.sent"  # 下转（转出单位）
    DOWN_RECEIVED = "referral.down.received"
    EMERGENCY_TRANSPORT = "referral.emergency_transport"  # 急救转运（接收单位）
    PRIORITY_RECEPTION = "green_channel.reception"  # 绿色通道 优先接诊（接收单位）
    PRIORITY_EXAMINATION = "green_channel.examination"
    PRIORITY_ADMISSION = "green_channel.admission"
    CONSULT_REQUESTED = "consult.requested"  # 远程会诊/心电/影像（申请单位）
    RESULT_RECOGNIZED = "consult.result_recognized"  # 检查检验结果互认（互认单位）
    EXPERT_VISIT = "expert.visit"  # 专家下派指导（积分 R04，邀请单位）
    TRAINEE = "trainee.received"  # 进修、跟班学习（积分 R11 / R01a，学员单位）


class Scope(StrEnum):
    LEAD = "lead"  # 牵头单位
    ALL = "all"  # 联盟内全部单位


class Shape(StrEnum):
    COUNT = "count"
    FLAG = "flag"
    DATES = "dates"


@dataclass(frozen=True)
class Derived:
    metric: str
    label: str
    counters: tuple[Counter, ...]
    scope: Scope
    shape: Shape
    unit_counters: tuple[Counter, ...] | None = None  # for one unit's own figures (报送目标), if they differ

    def counters_for_unit(self) -> tuple[Counter, ...]:
        return self.unit_counters or self.counters


_C = Counter
DERIVED: dict[str, Derived] = {d.metric: d for d in (
    Derived("down_referrals", "牵头单位下转患者", (_C.DOWN_SENT,), Scope.LEAD, Shape.COUNT),
    Derived("referred_patients", "联盟内转诊患者", (_C.UP_SENT, _C.DOWN_SENT), Scope.ALL, Shape.COUNT),
    Derived("referrals_up", "上转患者", (_C.UP_SENT,), Scope.ALL, Shape.COUNT),
    Derived("referrals_down", "下转患者", (_C.DOWN_SENT,), Scope.ALL, Shape.COUNT, (_C.DOWN_RECEIVED,)),
    Derived("emergency_transports", "急救转运", (_C.EMERGENCY_TRANSPORT,), Scope.ALL, Shape.COUNT),
    Derived("priority_reception", "优先接诊", (_C.PRIORITY_RECEPTION,), Scope.LEAD, Shape.FLAG),
    Derived("priority_examination", "优先检查", (_C.PRIORITY_EXAMINATION,), Scope.LEAD, Shape.FLAG),
    Derived("priority_admission", "优先住院", (_C.PRIORITY_ADMISSION,), Scope.LEAD, Shape.FLAG),
    Derived("remote_service_volume", "远程医疗服务例次", (_C.CONSULT_REQUESTED,), Scope.ALL, Shape.COUNT),
    Derived("mutual_recognition", "检查检验结果互认", (_C.RESULT_RECOGNIZED,), Scope.ALL, Shape.FLAG),
    Derived("staff_dispatched", "下派专业技术/管理人才", (_C.EXPERT_VISIT,), Scope.ALL, Shape.COUNT),
    Derived("expert_guidance_dates", "专家下派指导日期", (_C.EXPERT_VISIT,), Scope.ALL, Shape.DATES),
    Derived("trainees_received", "接收进修、跟班学习人员", (_C.TRAINEE,), Scope.ALL, Shape.COUNT),
)}

# Computed from the service's own scorecards (湖南 指标 3): 牵头单位年度自评次数、是否评价了成员单位.
FROM_SCORECARDS = {"self_evaluations": "牵头单位年度自评", "members_evaluated": "对成员单位的评价"}


def is_platform_metric(metric: str) -> bool:
    return metric in DERIVED or metric in FROM_SCORECARDS
