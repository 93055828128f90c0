"""Record one milestone of a referral, whoever reported it (a platform user or an external sender).

The referral's state is its milestone set (``domain/projection``); this stores what the fold changed, the
transition (who, when), and writes the events: ``requested`` once the request is known, ``status_changed``
when the derived status moves, ``completed`` once, and the award facts (R02b/c/d) when points become due or
stop being due. All in the caller's transaction, with the referral row locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.events.registry import EventData
from libs.events.schemas.referral import ReferralCompleted, ReferralRequested, ReferralStatusChanged
from libs.kit.clock import business_date
from services.referral.application import awards
from services.referral.context import Ctx
from services.referral.domain.awards import referral_award_changes
from services.referral.domain.projection import ReferralEvent, ReferralFacts, ReferralState
from services.referral.domain.terms import Status
from services.referral.persistence import referrals as repo


@dataclass(frozen=True)
class Step:
    """The milestone event plus what the projection does not keep: the institution and the (sealed) reason."""

    event: ReferralEvent
    by_institution_id: str | None = None
    reason_ct: str | None = None


async def record(session: AsyncSession, ctx: Ctx, row: repo.Row, before: ReferralState | None,
                 after: ReferralState, step: Step, values: dict[str, Any] | None = None) -> None:
    rid = row["referral_id"]
    values = dict(values or {})
    requested = after.marks.get(Status.REQUESTED)
    if requested is not None and after.facts is not None and (before is None or before.marks.get(Status.REQUESTED)
                                                              != requested):
        values.update(repo.fact_columns(after.facts, requested.at, business_date(requested.at)))
    seq = int(row["steps"]) + 1
    values.update(status=after.status.value if after.status else None, accepted_doctor_id=after.receiving_doctor_id,
                  steps=seq)
    items = _announcements(row, after, step, values) if after.facts is not None else []
    for fact in referral_award_changes(before, after, step.event):
        items += await awards.record(session, fact)
    changed = {m: mark for m, mark in after.marks.items() if before is None or before.marks.get(m) != mark}
    await repo.write_progress(session, rid, changed, repo.TransitionRow(
        seq=seq, from_status=Status(row["status"]) if row["status"] else None, to_status=after.status,
        milestone=step.event.milestone, by=step.event.by, by_institution_id=step.by_institution_id,
        at=step.event.occurred_at, reason_ct=step.reason_ct, event_id=step.event.event_id), values)
    await ctx.publish(session, items)


def _announcements(row: repo.Row, after: ReferralState, step: Step, values: dict[str, Any]
                   ) -> list[tuple[EventData, str]]:
    facts = after.facts
    assert facts is not None
    rid, out = row["referral_id"], list[tuple[EventData, str]]()
    common = _common(row, after, facts)
    requested_at = after.marks[Status.REQUESTED].at
    if not row["requested_announced"]:
        out.append((ReferralRequested(**common, occurred_at=requested_at, business_date=business_date(requested_at)),
                    rid))
        values["requested_announced"] = True
    status = after.status
    if status is not None and status.value != row["announced_status"]:
        at = step.event.occurred_at
        out.append((ReferralStatusChanged(
            **common, from_status=row["announced_status"], to_status=status.value, milestone=step.event.milestone.value,
            by=step.event.by, by_institution_id=step.by_institution_id, occurred_at=at,
            business_date=business_date(at)), rid))
        values["announced_status"] = status.value
    if status is Status.COMPLETED and not row["completed_announced"]:
        done = after.marks[Status.COMPLETED].at
        outcome = values.get("outcome_ct") or row["outcome_ct"]
        out.append((ReferralCompleted(**common, outcome_recorded=outcome is not None, requested_at=requested_at,
                                      occurred_at=done, business_date=business_date(done)), rid))
        values["completed_announced"] = True
    return out


def _common(row: repo.Row, after: ReferralState, facts: ReferralFacts) -> dict[str, Any]:
    return {
        "referral_id": row["referral_id"], "origin": row["origin"], "alliance_id": facts.alliance_id,
        "direction": facts.direction.value, "setting": facts.setting.value, "channel": facts.channel.value,
        "urgency": facts.urgency.value, "indication": facts.indication,
        "referring_institution_id": facts.referring.institution_id,
        "referring_doctor_id": facts.referring.doctor_id,
        "receiving_institution_id": facts.receiving.institution_id,
        "receiving_doctor_id": after.receiving_doctor_id, "patient_ref": facts.patient_ref,
    }
