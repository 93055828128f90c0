"""备案 statuses of a 专科联盟, shared by the filing state machine and the rules that look at other alliances."""

from __future__ import annotations

from enum import StrEnum


class FilingStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    PREPARING = "preparing"
    OPERATING = "operating"
    MERGED = "merged"
    DISSOLVED = "dissolved"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    FilingStatus.DRAFT: "草稿",
    FilingStatus.SUBMITTED: "已提交备案",
    FilingStatus.RETURNED: "已退回",
    FilingStatus.APPROVED: "已备案",
    FilingStatus.PREPARING: "筹建中",
    FilingStatus.OPERATING: "已挂牌运行",
    FilingStatus.MERGED: "已合并",
    FilingStatus.DISSOLVED: "已撤销",
}

FILED = frozenset({FilingStatus.APPROVED, FilingStatus.PREPARING, FilingStatus.OPERATING})
ENDED = frozenset({FilingStatus.MERGED, FilingStatus.DISSOLVED})
# Statuses that hold the "one alliance per specialty per level" slot: filed, or under review.
HOLDS_SLOT = FILED | {FilingStatus.SUBMITTED}


def is_operating(status: FilingStatus | str) -> bool:
    """Only a filed alliance that has been opened (挂牌) may operate; not filed, merged or dissolved ⇒ False."""
    return FilingStatus(status) is FilingStatus.OPERATING


def is_filed(status: FilingStatus | str) -> bool:
    """备案 done and not ended (approved, preparing or operating)."""
    return FilingStatus(status) in FILED
