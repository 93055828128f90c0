"""Journey 2 — the hotline 85356855 and the emergency-transport network 85600965 (issues 5 and 7).

Both systems post Standard-Webhooks-signed referral milestones to the gateway WITHOUT any user token; the
referral service verifies them (secrets from its settings). A member unit's doctor refers one child up to the
lead hospital through the hotline (inpatient) and one by emergency transport. Every delivery is posted three
times with the same ``webhook-id`` while NATS is killed by PID and restarted between the posts. In the end:
the referring doctor earns R02b 住院 5 + R02d 急救转运 10 = 15 points exactly once, her unit's collective points
rise by the same 15 on the collective leaderboard, and the evaluation inputs of the year count both referrals.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from libs.devstack.nats import EmbeddedNats
from libs.kit.clock import business_date
from tests.e2e.stack import Stack, new_webhook_secret, running_stack
from tests.e2e.world import (
    Alliance,
    add_doctor,
    evaluation_knows_alliance,
    hunan,
    points_knows_doctor,
    referral_knows,
    refused,
)
from tests.harness.services import TestEnv
from tests.harness.waiting import eventually
from tests.services.referral.helpers import hook_body, patient, uid


def milestones(stack: Stack, alliance: Alliance, sender: str, doctor: dict[str, Any],
               receiving: dict[str, Any]) -> list[bytes]:
    """requested → arrived → admitted of one up-referral, as the sender's system reports them."""
    external = uid("HL" if sender == "hotline" else "JJ")
    t0 = stack.now().replace(microsecond=0) - timedelta(hours=3)
    emergency = sender == "emergency"
    requested = {
        "alliance_id": alliance.id, "direction": "up", "setting": "emergency_transport" if emergency else "inpatient",
        "urgency": "critical" if emergency else "urgent",
        "indication": "emergency_critical" if emergency else "difficult_complex",
        "referring": {"institution_id": doctor["institution_id"], "doctor_id": doctor["id"]},
        "receiving": {"institution_id": receiving["institution_id"], "doctor_id": receiving["id"]},
        "reason": "重症肺炎伴呼吸衰竭，需转上级医院" if emergency else "反复高热惊厥，需上级医院住院诊治",
        "patient": patient("刘小宇" if emergency else "周小满", serial=7 if emergency else 3)}
    return [hook_body("referral.requested", external, t0, **requested),
            hook_body("referral.arrived", external, t0 + timedelta(minutes=50)),
            hook_body("referral.admitted", external, t0 + timedelta(minutes=80))]


async def post_three_times(stack: Stack, nats: EmbeddedNats, sender: str, body: bytes) -> dict[str, Any]:
    """The sender retries (same webhook-id): before a NATS kill, while NATS is down, after its restart."""
    msg_id = uid(f"{sender}-msg")
    first = await stack.webhook(sender, body, msg_id=msg_id)
    nats.stop(kill=True)
    second = await stack.webhook(sender, body, msg_id=msg_id)  # only PostgreSQL is needed to accept it
    nats.start()
    third = await stack.webhook(sender, body, msg_id=msg_id)
    for response in (first, second, third):
        assert response.status_code == 200, response.text
    assert first.json() == second.json() == third.json()
    assert first.json()["status"] == "applied"
    assert second.headers.get("webhook-replayed") == third.headers.get("webhook-replayed") == "true"
    return dict(first.json())


async def test_hotline_and_emergency_referrals_award_once_and_are_counted(env: TestEnv,
                                                                          private_nats: EmbeddedNats) -> None:
    async with running_stack(env, nats_url=private_nats.url) as stack:
        alliance = await hunan(stack)
        unit = alliance.member_id(2)  # 岳阳市妇幼保健院
        zhao = await add_doctor(stack, alliance, "zhao", institution_id=unit, name="赵明")
        receiving = await add_doctor(stack, alliance, "lead", institution_id=alliance.lead_id, name="孙主任")
        await points_knows_doctor(stack, alliance, zhao)
        await referral_knows(stack, zhao["id"], receiving["id"])
        await evaluation_knows_alliance(stack, alliance)
        year = business_date(stack.now() - timedelta(hours=3)).year

        # A forged delivery (a secret the referral service does not hold) is refused and changes nothing.
        forged = milestones(stack, alliance, "hotline", zhao, receiving)[0]
        response = await stack.webhook("hotline", forged, msg_id=uid("forged"), secrets=[new_webhook_secret()])
        assert refused(response, 401)["code"] == "bad_signature"

        results = {}
        for sender in ("hotline", "emergency"):
            for body in milestones(stack, alliance, sender, zhao, receiving):
                results[sender] = await post_three_times(stack, private_nats, sender, body)
        assert results["hotline"]["referral_status"] == results["emergency"]["referral_status"] == "admitted"

        # ---- the referring doctor's points: 5 + 10, once -------------------------------------------------------
        doctor = alliance.doctor("zhao")

        async def balance() -> str:
            return str((await stack.get(f"/points/members/{zhao['id']}/balance", doctor)).json()["balance"])

        await eventually(balance, until=lambda b: b == "15.0", timeout=90, what="referral awards in the ledger")
        await eventually(lambda: award_events_applied(stack), until=lambda pair: pair[0] == pair[1] == 2,
                         timeout=60, what="every award event applied by points")
        assert await balance() == "15.0"
        statement = (await stack.get(f"/points/members/{zhao['id']}/entries", doctor)).json()["items"]
        assert sorted((x["entry_type"], x["rule_code"], x["variant"], x["delta"], x["unit_id"]) for x in statement) == [
            ("award", "R02b", "inpatient", "5.0", unit), ("award", "R02d", "inpatient", "10.0", unit)]
        assert await stack.sql_value("SELECT count(*) FROM points.ledger_entries WHERE doctor_id = $1 "
                                     "AND source_event_id LIKE 'referral:%'", zhao["id"]) == 2

        # ---- the unit's collective points ----------------------------------------------------------------------
        collective = await stack.get("/points/leaderboards/collective", alliance.unit_admin(unit),
                                     params={"alliance_id": alliance.id, "year": year})
        assert collective.status_code == 200, collective.text
        assert [(s["rank"], s["id"], s["points"]) for s in collective.json()["items"]] == [(1, unit, "15.0")]

        # ---- the evaluation of the year counts both referrals --------------------------------------------------
        period = await stack.post(f"/evaluation/alliances/{alliance.id}/periods", alliance.office(), json={
            "year": year, "framework_id": "haikou-2021",
            "statistics_due": (business_date(stack.now()) + timedelta(days=30)).isoformat()})
        assert period.status_code == 201, period.text
        inputs = f"/evaluation/periods/{period.json()['period_id']}/inputs"

        async def referred(who: dict[str, str], **params: str) -> Any:
            response = await stack.get(inputs, who, params=params)
            assert response.status_code == 200, response.text
            return response.json()

        whole = await eventually(lambda: referred(alliance.office()),
                                 until=lambda b: b["inputs"].get("referred_patients") == 2, timeout=60,
                                 what="evaluation counted the referrals")
        assert whole["sources"]["referred_patients"].startswith("平台统计（事件）")
        assert (await referred(alliance.commission()))["inputs"]["referred_patients"] == 2
        assert (await referred(alliance.office(), subject_unit_id=unit))["inputs"]["referred_patients"] == 2
        assert (await referred(alliance.office(), subject_unit_id=alliance.lead_id))["inputs"][
            "referred_patients"] == 0


async def award_events_applied(stack: Stack) -> tuple[int, int]:
    """(award events the referral service published, of those the points consumer applied)."""
    rows = await stack.sql("SELECT event_id FROM referral.outbox WHERE type = 'alliance.referral.award.due'")
    ids = [r["event_id"] for r in rows]
    applied = await stack.sql_value("SELECT count(*) FROM points.inbox WHERE event_id = ANY($1)", ids)
    return len(ids), int(applied or 0)

