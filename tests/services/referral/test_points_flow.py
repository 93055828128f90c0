"""Across services, through real JetStream: a hotline referral's award lands once in the points ledger, and a
late cancel (earlier than the arrival) reverses it once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from services.referral.persistence.tables import dir_doctors
from tests.harness.services import running_service
from tests.harness.waiting import eventually
from tests.services.referral.helpers import (
    MEMBER_DOCTOR,
    count,
    directory_events,
    hook_body,
    post_hook,
    publish_registry,
    requested_data,
    uid,
)

T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)


async def test_award_and_reversal_reach_the_ledger_once(env) -> None:
    from services.points.persistence.tables import ledger_entries

    async with running_service(env, "referral") as referral, running_service(env, "points") as points:
        await publish_registry(referral, *directory_events())
        await eventually(lambda: count(referral, dir_doctors), until=lambda n: n == 4, what="directory replicated")
        external = uid("HL")
        steps = [("referral.requested", 0, requested_data(setting="inpatient")), ("referral.arrived", 120, {}),
                 ("referral.admitted", 150, {})]
        for kind, minute, data in steps:
            body = hook_body(kind, external, T0 + timedelta(minutes=minute), **data)
            for _ in range(2):  # a retry of the same delivery changes nothing
                msg_id = f"{external}-{kind.replace('.', '-')}"
                assert (await post_hook(referral.client, body, msg_id=msg_id)).status_code == 200

        async def entries() -> list[dict]:
            async with points.runtime.transaction() as session:
                rows = (await session.execute(select(ledger_entries).where(
                    ledger_entries.c.source_event_id.like("referral:%")))).mappings().all()
            return [dict(r) for r in rows]

        [award] = await eventually(entries, until=lambda es: len(es) >= 1, timeout=60, what="award in the ledger")
        assert (award["rule_code"], award["variant"], award["doctor_id"], award["amount_tenths"]) == (
            "R02b", "inpatient", MEMBER_DOCTOR, 50)
        late = hook_body("referral.cancelled", external, T0 + timedelta(minutes=60), reason="家属要求就近治疗")
        assert (await post_hook(referral.client, late)).status_code == 200
        done = await eventually(entries, until=lambda es: len(es) >= 2, timeout=60, what="reversal in the ledger")
        [reversal] = [e for e in done if e["entry_type"] == "reversal"]
        assert reversal["reverses"] == award["entry_id"] and len(done) == 2
