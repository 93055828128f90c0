"""Journey 0 — the foundation (issue 2), through the gateway only.

A write in the registry (a unit admin registers a doctor at a member unit of an operating alliance) becomes an
event that the points service's consumer applies: the doctor's balance, unreadable (404) for the unit admin
while points does not know the doctor, reads 0 afterwards, and an office award for the doctor becomes possible.
NATS is killed by PID in the middle (the registry still accepts the write: the event waits in its outbox) and
restarted: the event arrives, exactly once in effect in every consumer. Then one service is stopped: the
gateway answers 502 naming it while the others answer, and after the restart the consumer catches up.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from libs.devstack.nats import EmbeddedNats
from tests.e2e.stack import Stack, running_stack
from tests.e2e.world import (
    Alliance,
    add_doctor,
    hunan,
    points_knows_alliance,
    points_knows_doctor,
    refused,
    this_year,
)
from tests.harness.services import TestEnv
from tests.harness.waiting import eventually
from tests.services.registry.fixtures import today, valid_practice_cert

DOCTOR_REGISTERED = "alliance.registry.doctor.registered"
CONSUMERS = ("points", "referral", "evaluation")  # every service that replicates the registry's directory


async def registered_event(stack: Stack, doctor_id: str) -> dict[str, Any]:
    [row] = await stack.sql("SELECT event_id, published_at FROM registry.outbox WHERE type = $1 "
                            "AND convert_from(payload, 'UTF8')::jsonb #>> '{data,doctor_id}' = $2",
                            DOCTOR_REGISTERED, doctor_id)
    return dict(row)


async def applied_counts(stack: Stack, event_id: str) -> dict[str, int]:
    return {schema: int(await stack.sql_value(f"SELECT count(*) FROM {schema}.inbox WHERE event_id = $1",
                                              event_id) or 0) for schema in CONSUMERS}


async def test_a_registry_write_reaches_points_once_across_a_nats_kill(env: TestEnv,
                                                                       private_nats: EmbeddedNats) -> None:
    async with running_stack(env, nats_url=private_nats.url) as stack:
        alliance: Alliance = await hunan(stack)
        await points_knows_alliance(stack, alliance)
        unit = alliance.member_id(0)

        private_nats.stop(kill=True)  # SIGKILL by PID while every relay and consumer runs
        doctor = await add_doctor(stack, alliance, "zhang", institution_id=unit, name="张晓明")
        event = await registered_event(stack, doctor["id"])
        assert event["published_at"] is None  # accepted with PostgreSQL alone: the event waits in the outbox
        balance_path = f"/points/members/{doctor['id']}/balance"
        refused(await stack.get(balance_path, alliance.unit_admin(unit)), 404)  # points does not know him yet

        private_nats.start()
        seen = await points_knows_doctor(stack, alliance, doctor)
        assert seen.json() == {"doctor_id": doctor["id"], "balance": "0.0", "pending": "0.0", "as_of": None}

        # The office may now award him (the directory says where he works): R16 科主任 50 points.
        award = await stack.post("/points/awards/direct", alliance.office(), json={
            "rule": "R16", "variant": "director", "doctor_id": doctor["id"], "facts": {"year": str(this_year(stack))}})
        assert award.status_code == 201, award.text
        assert (award.json()["amount"], award.json()["unit_id"]) == ("50.0", unit)

        await eventually(lambda: applied_counts(stack, event["event_id"]),
                         until=lambda counts: all(n == 1 for n in counts.values()), what="every consumer applied")
        assert await applied_counts(stack, event["event_id"]) == {"points": 1, "referral": 1, "evaluation": 1}
        assert await stack.sql_value("SELECT count(*) FROM points.dir_doctors WHERE doctor_id = $1",
                                     doctor["id"]) == 1
        assert (await registered_event(stack, doctor["id"]))["published_at"] is not None


async def test_a_stopped_service_is_a_502_and_catches_up_when_back(env: TestEnv) -> None:
    async with running_stack(env) as stack:
        alliance = await hunan(stack)
        await points_knows_alliance(stack, alliance)
        unit = alliance.member_id(1)
        admin = alliance.unit_admin(unit)

        await stack.stop_service("points")
        down = await stack.get("/points/leaderboards/collective", admin, params={"alliance_id": alliance.id})
        body = refused(down, 502)
        assert body["service"] == "points" and "points" in body["detail"]
        # The others keep answering, and the registry keeps taking writes whose events wait for points.
        created = await stack.post("/registry/doctors", admin, json={
            "name": "李晓红", "practice_cert_no": valid_practice_cert(), "institution_id": unit, "department": "儿科",
            "starts_on": (today() - timedelta(days=10)).isoformat()})
        assert created.status_code == 201, created.text
        doctor = created.json()
        located = await stack.client.get(created.headers["location"], headers=admin)  # a gateway path
        assert located.status_code == 200 and located.json()["id"] == doctor["id"], located.text
        assert (await stack.get(f"/evaluation/alliances/{alliance.id}/periods", alliance.office())).status_code == 200

        await stack.start_service("points")  # same port, new process state: its durable consumer resumes
        seen = await points_knows_doctor(stack, alliance, doctor)
        assert seen.json()["balance"] == "0.0"
