"""PIPL (reliability row 28): the fixture patient's name and ID number appear in NO published event (read back
from the JetStream stream), NO log record, and nowhere in plaintext in the service's tables."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import LargeBinary, select, text

from libs.kit.logging import JsonFormatter
from services.referral.persistence.tables import metadata
from tests.harness.waiting import eventually
from tests.services.referral.helpers import (
    ALLIANCE,
    LEAD,
    LEAD_DOCTOR,
    hook_body,
    id_number,
    of_type,
    office,
    post_hook,
    raw_stream,
    requested_data,
    stream_envelopes,
    uid,
    with_key,
)
from tests.services.referral.helpers import doctor as as_doctor

NAME = "欧阳娜娜"
BIRTH = date(2017, 9, 3)
ID_NUMBER = id_number(BIRTH, male=False, serial=42)
PATIENT = {"name": NAME, "sex": "female", "birth_date": BIRTH.isoformat(), "id_number": ID_NUMBER}
NEEDLES = [NAME, ID_NUMBER, json.dumps(NAME)[1:-1], ID_NUMBER[-8:]]


async def exercise_everything(svc) -> None:
    at = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)
    external = uid("HL")
    body = hook_body("referral.requested", external, at, **requested_data(patient_block=PATIENT))
    assert (await post_hook(svc.client, body)).status_code == 200
    assert (await post_hook(svc.client, hook_body("referral.arrived", external, at + timedelta(minutes=30)))
            ).status_code == 200
    quarantined = requested_data(patient_block=PATIENT, referring={"institution_id": "inst-member-1",
                                                                   "doctor_id": "doc-unknown"})
    assert (await post_hook(svc.client, hook_body("referral.requested", uid("HL"), at, **quarantined))
            ).status_code == 202
    invalid = requested_data(patient_block={**PATIENT, "id_number": ID_NUMBER[:-1] + "0"})
    assert (await post_hook(svc.client, hook_body("referral.requested", uid("HL"), at, **invalid))).status_code == 422

    created = await svc.client.post("/referrals", headers=with_key(as_doctor()), json={
        "alliance_id": ALLIANCE, "direction": "up", "setting": "inpatient", "receiving": {"institution_id": LEAD},
        "reason": "高热惊厥", "indication": "emergency_critical", "urgency": "critical", "patient": PATIENT})
    rid = created.json()["referral_id"]
    for action in ("accept", "arrival", "admission"):
        await svc.client.post(f"/referrals/{rid}/{action}", headers=as_doctor(LEAD_DOCTOR))
    await svc.client.post(f"/referrals/{rid}/green-channel", headers=as_doctor(LEAD_DOCTOR),
                          json={"service": "reception"})
    await svc.client.post(f"/referrals/{rid}/complete", headers=as_doctor(LEAD_DOCTOR),
                          json={"outcome": {"summary": "好转出院"}})
    assert (await svc.client.get(f"/referrals/{rid}", headers=as_doctor())).json()["patient"]["name"] == NAME
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).date().isoformat()
    pool = (await svc.client.post("/slot-pools", headers=with_key(office()), json={
        "alliance_id": ALLIANCE, "department": "儿科", "on_date": tomorrow, "capacity": 2})).json()
    assert (await svc.client.post(f"/slot-pools/{pool['pool_id']}/bookings", headers=with_key(as_doctor()),
                                  json={"patient": PATIENT})).status_code == 201
    assert (await svc.client.post("/consults", headers=with_key(as_doctor()), json={
        "alliance_id": ALLIANCE, "kind": "imaging", "responder_institution_id": LEAD, "question": "胸片",
        "patient": PATIENT})).status_code == 201


async def test_patient_identity_never_leaves_in_events_logs_or_plaintext_columns(svc, env, caplog) -> None:
    logging.getLogger().addHandler(caplog.handler)  # the app's JSON logging replaced the root handlers
    caplog.set_level(logging.DEBUG)
    try:
        await exercise_everything(svc)
        await eventually(lambda: stream_envelopes(env.nats_url, env.namespace),
                         until=lambda es: of_type(es, "consult.requested"), what="all events published")
    finally:
        logging.getLogger().removeHandler(caplog.handler)

    messages = await raw_stream(env.nats_url, env.namespace)
    assert len(messages) > 15
    published = b"\n".join(messages).decode("utf-8")
    assert "pr_" in published  # the pseudonym is there …
    assert [n for n in NEEDLES if n in published] == []  # … the identity is not

    formatter = JsonFormatter("referral")
    logged = "\n".join(formatter.format(r) for r in caplog.records)
    assert len(caplog.records) > 10
    assert [n for n in NEEDLES if n in logged] == []

    async with svc.runtime.transaction() as session:
        dumped = []
        for table in metadata.sorted_tables:
            dumped += [str(r) for r in (await session.execute(
                select(text(f"t::text FROM referral.{table.name} t")))).scalars()]
            for column in (c for c in table.c if isinstance(c.type, LargeBinary)):  # bytea prints as hex above
                dumped += [bytes(v).decode("utf-8", "replace") for v in (await session.scalars(select(column))) if v]
    stored = "\n".join(dumped)
    assert "v1." in stored  # sealed fields are there …
    assert [n for n in (NAME, ID_NUMBER, "高热惊厥", "好转出院") if n in stored] == []  # … in plaintext, nothing
