"""Awards from platform events over real JetStream: the registry's directory events, a referral completion
delivered three times (5 points, once), an unknown doctor parked after retries then retried, revocations,
R03b appointments and R03c prizes — and the entry events the points service publishes in turn."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import func, select

from libs.events.consumer import Outcome
from libs.events.envelope import Envelope, new_envelope
from libs.events.registry import EventData
from libs.events.schemas import evaluation as ev
from libs.events.schemas import referral as rf
from libs.events.schemas import registry as r
from libs.events.streams import ensure_stream, stream_name, subject_for
from tests.harness.services import RunningService
from tests.harness.waiting import eventually

from .helpers import apply, award_due, directory_events, doctor, office, seed

AT = datetime(2024, 5, 20, 2, 0, tzinfo=timezone.utc)


async def publish(points: RunningService, source: str, *items: EventData | Envelope, msg_id: bool = True) -> None:
    """As the producing service's relay would: one JetStream message per envelope, ``Nats-Msg-Id`` = event id."""
    js = points.runtime.js
    assert js is not None
    namespace = points.runtime.settings.events_namespace
    await ensure_stream(js, namespace, source)
    for item in items:
        envelope = item if isinstance(item, Envelope) else new_envelope(item, source=f"/alliance/{source}")
        headers = {"Nats-Msg-Id": envelope.id} if msg_id else None
        await js.publish(subject_for(namespace, envelope.type), envelope.to_bytes(), headers=headers)


async def balance(points: RunningService, doctor_id: str = "D1") -> str:
    response = await points.client.get(f"/members/{doctor_id}/balance", headers=doctor(doctor_id))
    return str(response.json()["balance"])


async def entries(points: RunningService, doctor_id: str = "D1") -> list[dict]:  # type: ignore[type-arg]
    response = await points.client.get(f"/members/{doctor_id}/entries", headers=doctor(doctor_id))
    return list(response.json()["items"])


async def parked(points: RunningService) -> list[dict]:  # type: ignore[type-arg]
    return list((await points.client.get("/admin/dead-letters", headers=office())).json())


class TestEndToEnd:
    async def test_referral_completion_delivered_three_times_awards_five_points_once(
            self, points: RunningService) -> None:
        await publish(points, "registry", *directory_events())
        due = new_envelope(award_due(occurred_at=AT), source="/alliance/referral")
        await publish(points, "referral", due, due, due, msg_id=False)  # the same event delivered three times
        await eventually(lambda: balance(points), until=lambda b: b == "5.0", what="5 points for the up-referral")
        again = new_envelope(rf.AwardDue.model_validate(due.data), source="/alliance/referral")
        await publish(points, "referral", again)  # re-emitted under a new event id: same fact
        await eventually(lambda: _inbox_count(points), until=lambda n: n >= 2, what="both ids seen by the inbox")
        lines = await entries(points)
        assert [(e["rule_code"], e["variant"], e["amount"], e["unit_id"]) for e in lines] == \
            [("R02b", "inpatient", "5.0", "U1")]
        assert await balance(points) == "5.0"
        await eventually(lambda: _published(points), until=lambda types: "alliance.points.entry.recorded" in types,
                         what="the entry event relayed to JetStream")

    async def test_an_unknown_doctor_is_retried_then_parked_then_applied_on_retry(
            self, points: RunningService) -> None:
        await seed(points)
        await publish(points, "referral", award_due(doctor_id="D7", occurred_at=AT))
        letters = await eventually(lambda: parked(points), what="the award parked in dead letters")
        assert "D7" in letters[0]["error"] and letters[0]["deliveries"] == 3
        await apply(points, "registry", r.DoctorRegistered(doctor_id="D7", institution_id="U1", display_name="医师七",
                                                           effective_date=date(2024, 1, 1)))
        retried = await points.client.post(f"/admin/dead-letters/{letters[0]['id']}/retry", headers=office())
        assert retried.json()["outcome"] == "applied"
        assert await balance(points, "D7") == "5.0"


class TestReferralAwards:
    async def test_revocation_reverses_once(self, points: RunningService) -> None:
        await seed(points)
        due = award_due(occurred_at=AT, setting="outpatient")
        revoked = rf.AwardRevoked(fact_id=f"{due.fact_id}:revoked", revokes_fact_id=due.fact_id,
                                  reason="referral_reversed", subject_type="referral", subject_id=due.subject_id,
                                  rule_code="R02b", variant="outpatient", beneficiary_doctor_id="D1",
                                  alliance_id=due.alliance_id, occurred_at=AT, business_date=AT.date())
        assert await apply(points, "referral", due, revoked, revoked) == [Outcome.APPLIED] * 3
        lines = await entries(points)
        assert [(e["entry_type"], e["delta"]) for e in lines] == [("reversal", "-2.0"), ("award", "2.0")]
        assert lines[0]["reason"] == "转诊撤销（取消或拒收）"

    async def test_a_revocation_before_its_award_waits(self, points: RunningService) -> None:
        await seed(points)
        revoked = rf.AwardRevoked(fact_id="x:revoked", revokes_fact_id="x", reason="consult_cancelled",
                                  subject_type="consult", subject_id="c1", rule_code="R05", variant="consult",
                                  beneficiary_doctor_id="D1", alliance_id="hn-peds", occurred_at=AT,
                                  business_date=AT.date())
        assert await apply(points, "referral", revoked) == [Outcome.RETRY]

    async def test_the_scheme_decides_when_no_route_matches_the_producer_reading_is_computed(
            self, points: RunningService) -> None:
        await seed(points)
        emergency = award_due(occurred_at=AT).model_copy(update={
            "rule_code": "R02d", "variant": "inpatient",
            "facts": {"kind": "referral_completed", "direction": "up", "setting": "inpatient",
                      "channel": "emergency_network", "referring_doctor_id": "D1"}})
        assert await apply(points, "referral", emergency) == [Outcome.APPLIED]
        assert [(e["rule_code"], e["amount"]) for e in await entries(points)] == [("R02d", "10.0")]

    async def test_an_inactive_alliance_earns_nothing(self, points: RunningService) -> None:
        await seed(points, operating=False)
        assert await apply(points, "referral", award_due(occurred_at=AT)) == [Outcome.RETRY]
        assert await entries(points) == []


class TestOtherSources:
    async def test_an_appointment_earns_r03b_once(self, points: RunningService) -> None:
        await seed(points)
        assigned = r.PositionAssigned(position_id="pos-1", doctor_id="D1", alliance_id="hn-peds",
                                      society="湖南省医学会儿科分会", title="standing", start_date=date(2024, 5, 1))
        assert await apply(points, "registry", assigned, assigned) == [Outcome.APPLIED] * 2
        assert [(e["rule_code"], e["variant"], e["amount"]) for e in await entries(points)] == \
            [("R03b", "standing_member", "2.0")]

    async def test_prizes_and_participation_are_separate_entries(self, points: RunningService) -> None:
        await seed(points)
        base = {"activity_id": "act-1", "activity_kind": "case_selection", "doctor_id": "D1", "unit_id": "U1",
                "alliance_id": "hn-peds", "occurred_at": AT, "business_date": AT.date()}
        prize = ev.PrizeAwarded(award_id="aw-1", variant="first", **base)
        took_part = ev.PrizeAwarded(award_id="aw-2", variant="participation", **base)
        assert await apply(points, "evaluation", prize, took_part, prize) == [Outcome.APPLIED] * 3
        assert sorted(e["amount"] for e in await entries(points)) == ["1.0", "5.0"]

    async def test_a_doctor_who_moved_earns_for_the_unit_of_that_day(self, points: RunningService) -> None:
        await seed(points, units=("U1", "U2"))
        await apply(points, "registry", r.DoctorMoved(doctor_id="D1", from_institution_id="U1",
                                                      to_institution_id="U2", effective_date=date(2024, 5, 10)))
        await apply(points, "referral", award_due(occurred_at=datetime(2024, 5, 5, tzinfo=timezone.utc)),
                    award_due(occurred_at=AT))
        assert [e["unit_id"] for e in await entries(points)] == ["U2", "U1"]


async def _inbox_count(points: RunningService) -> int:
    table = points.runtime.tables.inbox
    async with points.runtime.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(table).where(
            table.c.type == "alliance.referral.award.due")) or 0)


async def _published(points: RunningService) -> set[str]:
    js = points.runtime.js
    assert js is not None
    name = stream_name(points.runtime.settings.events_namespace, "points")
    info = await js.stream_info(name)
    types = set()
    for seq in range(1, info.state.last_seq + 1):
        msg = await js.get_msg(name, seq)
        types.add(Envelope.from_bytes(msg.data).type)
    return types
