"""Builders for points service tests: directory events as the registry publishes them, signed principals,
requests with fresh idempotency keys, and owner-level database access."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import asyncpg
import httpx

from libs.auth.principal import Role
from libs.auth.testing import as_principal
from libs.events.consumer import InboxConsumer, Outcome
from libs.events.envelope import Envelope, new_envelope
from libs.events.registry import EventData
from libs.events.schemas import referral as rf
from libs.events.schemas import registry as r
from tests.harness.services import RunningService, TestEnv

ALLIANCE = "hn-peds"
ON = date(2024, 1, 1)
_seq = itertools.count(1)


def uid(prefix: str) -> str:
    return f"{prefix}{next(_seq)}-{uuid.uuid4().hex[:6]}"


def office(alliance: str = ALLIANCE) -> dict[str, str]:
    return as_principal(Role.ALLIANCE_OFFICE, alliance_id=alliance, sub=f"office-{alliance}")


def doctor(doctor_id: str, alliance: str = ALLIANCE, unit: str | None = None) -> dict[str, str]:
    return as_principal(Role.DOCTOR, doctor_id=doctor_id, alliance_id=alliance, institution_id=unit, sub=doctor_id)


def auditor() -> dict[str, str]:
    return as_principal(Role.AUDITOR, sub="auditor-1")


def idem(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key or uuid.uuid4().hex}


def registry_envelope(data: EventData) -> Envelope:
    return new_envelope(data, source="/alliance/registry")


def directory_events(*, alliance: str = ALLIANCE, units: Iterable[str] = ("U1",), doctors: dict[str, str] | None = None,
                     operating: bool = True, on: date = ON) -> list[EventData]:
    """An alliance in operation, its member units and doctors registered at them since ``on``."""
    events: list[EventData] = [r.AllianceStatusChanged(
        alliance_id=alliance, name="湖南省儿科专科联盟", region_code="430000", specialty_code="peds", level="province",
        from_status="preparing", to_status="operating" if operating else "preparing", operating=operating,
        actor="commission")]
    for unit in units:
        events.append(r.InstitutionRegistered(institution_id=unit, name=f"{unit} 医院", region_code="430100"))
        events.append(r.MemberJoined(alliance_id=alliance, institution_id=unit, role="member", effective_date=on))
    for doctor_id, unit in (doctors or {"D1": "U1"}).items():
        events.append(r.DoctorRegistered(doctor_id=doctor_id, institution_id=unit, display_name=f"医师{doctor_id}",
                                         effective_date=on))
    return events


def consumer(svc: RunningService, source: str) -> InboxConsumer:
    return next(c for c in svc.runtime.consumers if c.spec.source == source)


async def apply(svc: RunningService, source: str, *events: EventData | Envelope) -> list[Outcome]:
    """Run events through the real inbox consumer path (decode → inbox → handler), without the transport."""
    outcomes = []
    for item in events:
        envelope = item if isinstance(item, Envelope) else new_envelope(item, source=f"/alliance/{source}")
        outcomes.append(await consumer(svc, source).process(envelope.to_bytes()))
    return outcomes


async def seed(svc: RunningService, **kwargs: Any) -> None:
    outcomes = await apply(svc, "registry", *directory_events(**kwargs))
    assert set(outcomes) == {Outcome.APPLIED}, outcomes


def award_due(*, doctor_id: str | None = "D1", unit: str = "U1", alliance: str = ALLIANCE, setting: str = "inpatient",
              occurred_at: datetime, fact_id: str | None = None) -> rf.AwardDue:
    """An up-referral completed through the platform (R02b): inpatient 5 points, outpatient 2."""
    fact_id = fact_id or uid("referral:ref_")
    facts = {"kind": "referral_completed", "direction": "up", "setting": setting, "channel": "platform",
             "patient_ref": "pr_x"}
    if doctor_id:
        facts["referring_doctor_id"] = doctor_id
    return rf.AwardDue(fact_id=fact_id, subject_type="referral", subject_id=fact_id, rule_code="R02b",
                       variant=setting, rule_hint="R02b", quantity=1, beneficiary_doctor_id=doctor_id,
                       beneficiary_institution_id=unit, alliance_id=alliance, patient_ref="pr_x",
                       occurred_at=occurred_at, business_date=occurred_at.date(), facts=facts)


async def post(client: httpx.AsyncClient, path: str, headers: dict[str, str], json: Any = None,
               key: str | None = None) -> httpx.Response:
    return await client.post(path, headers=idem(headers, key), json=json)


async def award(client: httpx.AsyncClient, doctor_id: str = "D1", *, rule: str = "R16", variant: str = "director",
                facts: dict[str, Any] | None = None, occurred_at: str | None = None, alliance: str = ALLIANCE,
                expect: int = 201) -> dict[str, Any]:
    """An office direct award (default R16 科主任 50 分, once per year: vary ``facts.year`` to repeat)."""
    body: dict[str, Any] = {"rule": rule, "variant": variant, "doctor_id": doctor_id,
                            "facts": facts if facts is not None else {"year": uid("y")}}
    if occurred_at:
        body["occurred_at"] = occurred_at
    response = await post(client, "/awards/direct", office(alliance), body)
    assert response.status_code == expect, response.text
    return dict(response.json())


async def owner_connection(env: TestEnv, **server_settings: str) -> asyncpg.Connection:
    """The migration owner (not the app role): what a DBA or an attacker with the owner's login has."""
    return await asyncpg.connect(env.database_url, server_settings={"search_path": "points", **server_settings})


async def app_connection(env: TestEnv) -> asyncpg.Connection:
    return await asyncpg.connect(env.database_url, server_settings={"search_path": "points", "role": "points_app"})
