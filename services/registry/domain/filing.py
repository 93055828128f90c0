"""备案 lifecycle of a 专科联盟 as a state machine (第七、八条).

    draft ─submit→ submitted ─approve→ approved(备案) ─start_preparing→ preparing(筹建) ─open→ operating(挂牌)
                      │  ↑                                                                   │ renew(换届), rename(更名)
                 return  resubmit                                                            ├─merge→ merged
                      ↓  │                                                                   └─dissolve→ dissolved
                    returned                         (approved / preparing may also be dissolved)

换届 and 更名 are recorded transitions that leave the alliance operating, not states: an alliance that renewed its
council or changed its name still operates. 备案 decisions (approve, return, rename, merge, dissolve) belong to
the health commission that files the alliance (本级); everything else is done by the lead unit. Each step
returns a new ``Filing`` with one more ``Transition`` — pure data, persisted by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from libs.kit.clock import business_date
from libs.kit.errors import Conflict, Forbidden, InvalidInput
from services.registry.domain.alliance.authority import FilingAuthority
from services.registry.domain.codes.regions import Level, find_region
from services.registry.domain.dates import require_aware, require_date
from services.registry.domain.filing_form import missing_documents
from services.registry.domain.status import FilingStatus, is_operating

S = FilingStatus


class FilingAction(StrEnum):
    SUBMIT = "submit"
    RETURN = "return"
    RESUBMIT = "resubmit"
    APPROVE = "approve"
    START_PREPARING = "start_preparing"
    OPEN = "open"
    RENEW = "renew"
    RENAME = "rename"
    MERGE = "merge"
    DISSOLVE = "dissolve"

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    FilingAction.SUBMIT: "提交备案", FilingAction.RETURN: "退回", FilingAction.RESUBMIT: "重新提交",
    FilingAction.APPROVE: "予以备案", FilingAction.START_PREPARING: "开始筹建", FilingAction.OPEN: "挂牌运行",
    FilingAction.RENEW: "换届", FilingAction.RENAME: "更名", FilingAction.MERGE: "合并",
    FilingAction.DISSOLVE: "撤销",
}

# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[FilingAction, tuple[frozenset[FilingStatus], FilingStatus]] = {
    FilingAction.SUBMIT: (frozenset({S.DRAFT}), S.SUBMITTED),
    FilingAction.RETURN: (frozenset({S.SUBMITTED}), S.RETURNED),
    FilingAction.RESUBMIT: (frozenset({S.RETURNED}), S.SUBMITTED),
    FilingAction.APPROVE: (frozenset({S.SUBMITTED}), S.APPROVED),
    FilingAction.START_PREPARING: (frozenset({S.APPROVED}), S.PREPARING),
    FilingAction.OPEN: (frozenset({S.PREPARING}), S.OPERATING),
    FilingAction.RENEW: (frozenset({S.OPERATING}), S.OPERATING),
    FilingAction.RENAME: (frozenset({S.OPERATING}), S.OPERATING),
    FilingAction.MERGE: (frozenset({S.OPERATING}), S.MERGED),
    FilingAction.DISSOLVE: (frozenset({S.APPROVED, S.PREPARING, S.OPERATING}), S.DISSOLVED),
}


@dataclass(frozen=True, slots=True)
class Transition:
    """One step of the lifecycle: from, to, who, when, why."""

    action: FilingAction
    from_status: FilingStatus
    to_status: FilingStatus
    actor: str
    at: datetime
    reason: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reviewer:
    """A health-commission (卫生健康委) user: who, and the jurisdiction they act for."""

    actor_id: str
    region_code: str
    level: Level


@dataclass(frozen=True, slots=True)
class Filing:
    alliance_id: str
    status: FilingStatus = S.DRAFT
    history: tuple[Transition, ...] = ()
    founded_on: date | None = None  # 联盟成立的文件日期, set when it opens

    @property
    def is_operating(self) -> bool:
        return is_operating(self.status)


def can_approve(reviewer_region: str, reviewer_level: Level | str, authority: FilingAuthority) -> bool:
    """Only the commission that files the alliance may decide: same region and same level (本级管理).

    A higher commission does not approve in place of the lower one, nor a neighbour.
    """
    found = find_region(reviewer_region)
    if found is None or found.level is not Level(reviewer_level):
        return False
    return found.code == authority.region_code and Level(reviewer_level) is authority.level


def submit(filing: Filing, *, actor: str, at: datetime) -> Filing:
    return _apply(filing, FilingAction.SUBMIT, actor=actor, at=at)


def resubmit(filing: Filing, *, actor: str, at: datetime) -> Filing:
    return _apply(filing, FilingAction.RESUBMIT, actor=actor, at=at)


def return_for_revision(filing: Filing, *, reviewer: Reviewer, authority: FilingAuthority, at: datetime,
                        reasons: Sequence[str]) -> Filing:
    """退回: at least one reason, all kept in the record."""
    clean = [r.strip() for r in reasons if r and r.strip()]
    if not clean:
        raise InvalidInput("退回须写明理由", field="reasons")
    return _decide(filing, FilingAction.RETURN, reviewer, authority, at=at, reason="；".join(clean))


def approve(filing: Filing, *, reviewer: Reviewer, authority: FilingAuthority, at: datetime) -> Filing:
    return _decide(filing, FilingAction.APPROVE, reviewer, authority, at=at)


def start_preparing(filing: Filing, *, actor: str, at: datetime) -> Filing:
    return _apply(filing, FilingAction.START_PREPARING, actor=actor, at=at)


def open_alliance(filing: Filing, *, actor: str, at: datetime, founded_on: date, documents: set[str]) -> Filing:
    """挂牌: needs 章程、协议书、成员单位名单 (第八条) and the founding document date (start of 有效期)."""
    require_date(founded_on, field="founded_on", label="成立文件日期")
    _ensure_allowed(filing, FilingAction.OPEN)
    if missing := missing_documents(documents):
        raise Conflict(f"挂牌前须报送{'、'.join(missing)}", field="documents", missing=missing)
    if founded_on > business_date(require_aware(at)):
        raise InvalidInput("成立文件日期不能晚于今天", field="founded_on")
    opened = _apply(filing, FilingAction.OPEN, actor=actor, at=at, details={"founded_on": founded_on.isoformat()})
    return replace(opened, founded_on=founded_on)


def renew(filing: Filing, *, actor: str, at: datetime, term_number: int) -> Filing:
    """换届 reported (第八条 “换届有关事宜应及时报告”); the council itself lives in ``council``."""
    return _apply(filing, FilingAction.RENEW, actor=actor, at=at, details={"term_number": str(term_number)})


def rename(filing: Filing, *, reviewer: Reviewer, authority: FilingAuthority, at: datetime,
           old_name: str, new_name: str) -> Filing:
    """更名 by the commission; ``new_name`` must already pass ``alliance.check_name``."""
    return _decide(filing, FilingAction.RENAME, reviewer, authority, at=at,
                   details={"old_name": old_name, "new_name": new_name})


def merge(filing: Filing, *, reviewer: Reviewer, authority: FilingAuthority, at: datetime,
          into_alliance_id: str, reason: str) -> Filing:
    return _decide(filing, FilingAction.MERGE, reviewer, authority, at=at, reason=_reason(reason),
                   details={"into_alliance_id": into_alliance_id})


def dissolve(filing: Filing, *, reviewer: Reviewer, authority: FilingAuthority, at: datetime,
             reason: str) -> Filing:
    """撤销/解散, e.g. after two poor evaluation years (第十九条)."""
    return _decide(filing, FilingAction.DISSOLVE, reviewer, authority, at=at, reason=_reason(reason))


def _reason(reason: str) -> str:
    if not (reason or "").strip():
        raise InvalidInput("须写明理由", field="reason")
    return reason.strip()


def _decide(filing: Filing, action: FilingAction, reviewer: Reviewer, authority: FilingAuthority, *,
            at: datetime, reason: str | None = None, details: Mapping[str, str] | None = None) -> Filing:
    _ensure_allowed(filing, action)
    if not can_approve(reviewer.region_code, reviewer.level, authority):
        raise Forbidden(f"只有{authority.name}可以对该专科联盟{action.label}", field="reviewer")
    return _apply(filing, action, actor=reviewer.actor_id, at=at, reason=reason, details=details)


def _apply(filing: Filing, action: FilingAction, *, actor: str, at: datetime, reason: str | None = None,
           details: Mapping[str, str] | None = None) -> Filing:
    target = _ensure_allowed(filing, action)
    if not (actor or "").strip():
        raise InvalidInput("操作人不能为空", field="actor")
    step = Transition(action, filing.status, target, actor, require_aware(at), reason, dict(details or {}))
    return replace(filing, status=target, history=(*filing.history, step))


def _ensure_allowed(filing: Filing, action: FilingAction) -> FilingStatus:
    sources, target = TRANSITIONS[action]
    if filing.status not in sources:
        raise Conflict(f"专科联盟当前状态为“{filing.status.label}”，不能{action.label}",
                       current_status=filing.status.value, action=action.value)
    return target
