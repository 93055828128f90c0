"""Helpers for the evaluation API tests: principals, POSTs with an Idempotency-Key, and feeding events
through real JetStream (registry directory, referral facts, points snapshots) until the inbox applied them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from libs.auth.principal import Role
from libs.auth.testing import as_principal
from libs.events.envelope import Envelope, new_envelope
from libs.events.registry import EventData
from libs.events.schemas import registry as reg
from libs.events.streams import ensure_stream, service_of, subject_for
from services.evaluation.persistence.tables import events as event_tables
from tests.harness.services import RunningService
from tests.harness.waiting import eventually


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def office(alliance_id: str) -> dict[str, str]:
    return as_principal(Role.ALLIANCE_OFFICE, alliance_id=alliance_id, sub=f"office-{alliance_id}")


def unit_admin(institution_id: str) -> dict[str, str]:
    return as_principal(Role.UNIT_ADMIN, institution_id=institution_id, sub=f"admin-{institution_id}")


def commission(region_code: str) -> dict[str, str]:
    return as_principal(Role.HEALTH_COMMISSION, region_code=region_code, sub=f"hc-{region_code}")


def doctor(doctor_id: str, institution_id: str) -> dict[str, str]:
    return as_principal(Role.DOCTOR, doctor_id=doctor_id, institution_id=institution_id, sub=f"user-{doctor_id}")


def auditor() -> dict[str, str]:
    return as_principal(Role.AUDITOR, sub="auditor-1")


async def post(client: httpx.AsyncClient, url: str, body: Any, headers: dict[str, str],
               key: str | None = None) -> httpx.Response:
    return await client.post(url, json=body, headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex})


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    return body


async def publish(svc: RunningService, *datas: EventData, at: datetime | None = None) -> list[Envelope]:
    """Publish payloads as their producers would (one stream per producer) and wait until applied."""
    js = svc.runtime.js
    assert js is not None
    ns = svc.runtime.settings.events_namespace
    envelopes = [new_envelope(d, source="/alliance/test", at=at) for d in datas]
    for env in envelopes:
        await ensure_stream(js, ns, service_of(env.type))
        await js.publish(subject_for(ns, env.type), env.to_bytes(), headers={"Nats-Msg-Id": env.id})
    await applied(svc, [e.id for e in envelopes])
    return envelopes


async def applied(svc: RunningService, event_ids: Iterable[str]) -> None:
    wanted = set(event_ids)
    inbox = event_tables.inbox

    async def probe() -> set[str]:
        async with svc.runtime.transaction() as s:
            return set(await s.scalars(select(inbox.c.event_id).where(inbox.c.event_id.in_(wanted))))

    await eventually(probe, until=lambda found: found == wanted, what=f"{len(wanted)} events applied")


async def outbox_events(svc: RunningService, event_type: str) -> list[Envelope]:
    outbox = event_tables.outbox
    async with svc.runtime.transaction() as s:
        rows = await s.scalars(select(outbox.c.payload).where(outbox.c.type == event_type)
                               .order_by(outbox.c.position))
        return [Envelope.from_bytes(bytes(r)) for r in rows]


async def directory(svc: RunningService, *, alliance_id: str, region_code: str = "430000",
                    units: dict[str, str], operating: bool = True, name: str = "湖南省儿科专科联盟",
                    doctors: dict[str, str] | None = None) -> None:
    """An alliance with its member units (unit → role) and doctors (doctor → unit), as the registry says."""
    datas: list[EventData] = [reg.InstitutionRegistered(institution_id=u, name=f"{u}医院", region_code=region_code)
                              for u in units]
    datas.append(reg.AllianceStatusChanged(
        alliance_id=alliance_id, name=name, region_code=region_code, specialty_code="07", level="province",
        from_status="approved", to_status="operating" if operating else "preparing", operating=operating,
        actor="registry", founded_on=date(2023, 1, 1)))
    datas += [reg.MemberJoined(alliance_id=alliance_id, institution_id=u, role=role,  # type: ignore[arg-type]
                               effective_date=date(2023, 1, 1)) for u, role in units.items()]
    datas += [reg.DoctorRegistered(doctor_id=d, institution_id=u, display_name=d, effective_date=date(2023, 1, 1))
              for d, u in (doctors or {}).items()]
    await publish(svc, *datas)


def at_shanghai(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)
