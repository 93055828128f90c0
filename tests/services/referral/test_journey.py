"""Journey: a hotline referral whose every webhook is posted three times (same webhook-id), with NATS killed and
restarted in between, ends as exactly ONE completion and ONE award event in the stream (effectively once)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from services.referral.persistence.tables import events as event_tables
from tests.harness.services import running_service
from tests.harness.waiting import eventually
from tests.services.referral.helpers import (
    LEAD_DOCTOR,
    MEMBER_DOCTOR,
    apply_registry,
    directory_events,
    hook_body,
    of_type,
    post_hook,
    requested_data,
    stream_envelopes,
    uid,
)

T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=2)


def journey(external: str) -> list[bytes]:
    minutes = [0, 10, 120, 150, 60 * 30]
    steps = [("referral.requested", requested_data(setting="inpatient", urgency="urgent")),
             ("referral.accepted", {"doctor_id": LEAD_DOCTOR}), ("referral.arrived", {}), ("referral.admitted", {}),
             ("referral.completed", {"outcome": {"summary": "住院 7 天，好转出院", "diagnosis": "热性惊厥"}})]
    return [hook_body(kind, external, T0 + timedelta(minutes=m), **data) for (kind, data), m in zip(steps, minutes,
                                                                                                 strict=True)]


async def test_three_posts_per_event_across_nats_restarts_publish_each_fact_once(env, private_nats) -> None:
    async with running_service(env, "referral", nats_url=private_nats.url) as svc:
        await apply_registry(svc, *directory_events())
        external = uid("HL")
        for body in journey(external):
            msg = uid("msg")
            first = await post_hook(svc.client, body, msg_id=msg)
            private_nats.stop(kill=True)  # by PID, while the relay and the consumer run
            second = await post_hook(svc.client, body, msg_id=msg)  # accepted: only PostgreSQL is needed
            private_nats.start()
            third = await post_hook(svc.client, body, msg_id=msg)
            assert first.status_code == second.status_code == third.status_code == 200, first.text
            assert first.json() == second.json() == third.json()
        rid = first.json()["referral_id"]
        assert first.json()["referral_status"] == "completed"

        await eventually(_outbox_drained(svc), timeout=90, what="outbox drained after the restarts")
        await asyncio.sleep(0.5)  # anything published twice would be in the stream by now
        events = await stream_envelopes(private_nats.url, env.namespace)

    [completed] = of_type(events, "referral.completed", rid)
    [award] = of_type(events, "award.due", rid)
    assert of_type(events, "award.revoked", rid) == []
    assert len(of_type(events, "referral.requested", rid)) == 1
    assert [e.data["to_status"] for e in of_type(events, "referral.status_changed", rid)] == [
        "requested", "accepted", "arrived", "admitted", "completed"]
    assert completed.data["outcome_recorded"] is True and completed.data["receiving_doctor_id"] == LEAD_DOCTOR
    assert completed.data["channel"] == "hotline" and completed.data["origin"] == "hotline"
    assert (award.data["rule_code"], award.data["variant"], award.data["beneficiary_doctor_id"]) == (
        "R02b", "inpatient", MEMBER_DOCTOR)
    assert award.data["facts"] == {**award.data["facts"], "kind": "referral_completed", "direction": "up",
                                   "setting": "inpatient", "channel": "hotline"}
    assert len({e.id for e in events}) == len(events)


def _outbox_drained(svc):  # type: ignore[no-untyped-def]
    async def probe() -> bool:
        outbox = event_tables.outbox
        async with svc.runtime.transaction() as session:
            pending = (await session.execute(select(outbox.c.position).where(outbox.c.published_at.is_(None)))).all()
        return not pending
    return probe
