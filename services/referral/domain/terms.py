"""Referral vocabulary (FHIR ServiceRequest + Task in spirit) with the Chinese labels users read."""

from __future__ import annotations

from enum import StrEnum


class Direction(StrEnum):
    """上转 to the lead unit; 下转 stable patients back to a member unit."""

    UP = "up"
    DOWN = "down"

    @property
    def label(self) -> str:
        return {"up": "上转", "down": "下转"}[self.value]


class Setting(StrEnum):
    OUTPATIENT = "outpatient"
    INPATIENT = "inpatient"
    EMERGENCY_TRANSPORT = "emergency_transport"

    @property
    def label(self) -> str:
        return {"outpatient": "门诊", "inpatient": "住院", "emergency_transport": "急救转运"}[self.value]


class Channel(StrEnum):
    PLATFORM = "platform"  # 联盟平台（电子住院证）
    HOTLINE = "hotline"  # 医联体客服专线 85356855
    EMERGENCY_NETWORK = "emergency_network"  # 急救网络 85600965
    RESERVED_SLOT = "reserved_slot"  # 专用门诊预留号源

    @property
    def label(self) -> str:
        return _CHANNEL_LABELS[self]


_CHANNEL_LABELS = {
    Channel.PLATFORM: "联盟平台（电子住院证）",
    Channel.HOTLINE: "客服专线 85356855",
    Channel.EMERGENCY_NETWORK: "急救网络 85600965",
    Channel.RESERVED_SLOT: "预留号源",
}


class Urgency(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        return {"routine": "普通", "urgent": "紧急", "critical": "危重"}[self.value]


class Status(StrEnum):
    """Referral status; the same names are the milestones of the order-independent projection."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ARRIVED = "arrived"
    ADMITTED = "admitted"
    SEEN = "seen"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    Status.REQUESTED: "已申请",
    Status.ACCEPTED: "已接收",
    Status.REJECTED: "已拒绝",
    Status.ARRIVED: "已到院",
    Status.ADMITTED: "已入院",
    Status.SEEN: "已就诊",
    Status.COMPLETED: "已完成",
    Status.CANCELLED: "已取消",
}

# The verb a user reads in "当前状态为「…」，不能<verb>".
ACTION_LABELS = {
    Status.ACCEPTED: "接收",
    Status.REJECTED: "拒绝",
    Status.ARRIVED: "登记到院",
    Status.ADMITTED: "登记入院",
    Status.SEEN: "登记就诊",
    Status.COMPLETED: "完成",
    Status.CANCELLED: "取消",
}

TERMINAL = frozenset({Status.REJECTED, Status.COMPLETED, Status.CANCELLED})
