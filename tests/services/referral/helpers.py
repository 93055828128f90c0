"""Builders for the referral service tests: directory fixtures, patients, signed webhooks, stream reading."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timezone
from typing import Any

import httpx
import nats
from nats.js.errors import NotFoundError
from sqlalchemy import func, select

from libs.auth.principal import Role
from libs.auth.testing import as_principal
from libs.events import new_envelope
from libs.events.consumer import Outcome
from libs.events.envelope import Envelope
from libs.events.registry import EventData
from libs.events.schemas import registry as reg
from libs.events.streams import stream_name
from libs.webhooks.standard import sign_headers
from services.referral.settings import DEV_WEBHOOK_SECRETS
from tests.harness.services import RunningService

ALLIANCE = "alliance-peds"
LEAD, MEMBER, MEMBER_2, OUTSIDER = "inst-lead", "inst-member-1", "inst-member-2", "inst-outsider"
LEAD_DOCTOR, MEMBER_DOCTOR, MEMBER_2_DOCTOR, OUTSIDER_DOCTOR = "doc-lead", "doc-member", "doc-member-2", "doc-out"
DOCTOR_UNITS = {LEAD_DOCTOR: LEAD, MEMBER_DOCTOR: MEMBER, MEMBER_2_DOCTOR: MEMBER_2, OUTSIDER_DOCTOR: OUTSIDER}
HOTLINE_SECRET = DEV_WEBHOOK_SECRETS["hotline"][0]
EMERGENCY_SECRET = DEV_WEBHOOK_SECRETS["emergency"][0]
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# ---- people ---------------------------------------------------------------------------------------
def doctor(doctor_id: str = MEMBER_DOCTOR) -> dict[str, str]:
    return as_principal(Role.DOCTOR, sub=f"user-{doctor_id}", doctor_id=doctor_id,
                        institution_id=DOCTOR_UNITS.get(doctor_id))


def unit_admin(institution_id: str) -> dict[str, str]:
    return as_principal(Role.UNIT_ADMIN, sub=f"admin-{institution_id}", institution_id=institution_id)


def office(alliance_id: str = ALLIANCE) -> dict[str, str]:
    return as_principal(Role.ALLIANCE_OFFICE, sub="office-user", alliance_id=alliance_id)


def with_key(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key or uuid.uuid4().hex}


def id_number(birth: date, *, male: bool = True, area: str = "430102", serial: int = 1) -> str:
    """A valid 18-digit resident ID number (GB 11643 check digit)."""
    seq = f"{serial:02d}{1 if male else 2}"
    body = area + birth.strftime("%Y%m%d") + seq
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def patient(name: str = "李小明", birth: date = date(2018, 5, 20), *, male: bool = True,
            serial: int = 1) -> dict[str, Any]:
    return {"name": name, "sex": "male" if male else "female", "birth_date": birth.isoformat(),
            "id_number": id_number(birth, male=male, serial=serial)}


# ---- directory ------------------------------------------------------------------------------------
def directory_events(*, operating: bool = True) -> list[EventData]:
    today = date(2024, 1, 1)
    events: list[EventData] = [reg.InstitutionRegistered(institution_id=i, name=f"机构 {i}", region_code="430100")
                               for i in (LEAD, MEMBER, MEMBER_2, OUTSIDER)]
    events.append(reg.AllianceStatusChanged(
        alliance_id=ALLIANCE, name="湖南省儿科专科联盟", region_code="430000", specialty_code="peds", level="province",
        from_status="pending", to_status="filed" if operating else "pending", operating=operating, actor="commission"))
    events += [reg.MemberJoined(alliance_id=ALLIANCE, institution_id=i, role=role, effective_date=today)
               for i, role in ((LEAD, "lead"), (MEMBER, "member"), (MEMBER_2, "vice_chair"))]
    events += [reg.DoctorRegistered(doctor_id=d, institution_id=u, display_name=f"医生 {d}", effective_date=today)
               for d, u in DOCTOR_UNITS.items()]
    return events


def registry_envelope(data: EventData) -> Envelope:
    return new_envelope(data, source="/alliance/registry")


async def apply_registry(svc: RunningService, *datas: EventData) -> None:
    """Feed registry events through the service's real inbox consumer (same path as from JetStream)."""
    consumer = next(c for c in svc.runtime.consumers if c.spec.source == "registry")
    for data in datas:
        outcome = await consumer.process(registry_envelope(data).to_bytes())
        assert outcome is Outcome.APPLIED, outcome


async def publish_registry(svc: RunningService, *datas: EventData) -> None:
    """Write registry envelopes straight into JetStream, as the registry's relay would."""
    js, ns = svc.runtime.js, svc.runtime.settings.events_namespace
    assert js is not None
    for data in datas:
        env = registry_envelope(data)
        await js.publish(f"{ns}{env.type}", env.to_bytes(), headers={"Nats-Msg-Id": env.id})


# ---- webhooks -------------------------------------------------------------------------------------
def hook_body(kind: str, external_id: str, occurred_at: datetime, **data: Any) -> bytes:
    return json.dumps({"type": kind, "data": {"referral_id": external_id, "occurred_at": occurred_at.isoformat(),
                                               **data}}, ensure_ascii=False).encode()


def requested_data(*, direction: str = "up", setting: str = "outpatient", urgency: str = "routine",
                   indication: str = "difficult_complex", referring: dict[str, Any] | None = None,
                   receiving: dict[str, Any] | None = None, patient_block: dict[str, Any] | None = None,
                   alliance_id: str = ALLIANCE) -> dict[str, Any]:
    up = direction == "up"
    return {
        "alliance_id": alliance_id, "direction": direction, "setting": setting, "urgency": urgency,
        "referring": referring or ({"institution_id": MEMBER, "doctor_id": MEMBER_DOCTOR} if up
                                   else {"institution_id": LEAD, "doctor_id": LEAD_DOCTOR}),
        "receiving": receiving or ({"institution_id": LEAD} if up else {"institution_id": MEMBER}),
        "reason": "发热伴抽搐，需上级医院诊治", "indication": indication, "patient": patient_block or patient(),
    }


async def post_hook(client: httpx.AsyncClient, body: bytes, *, sender: str = "hotline", msg_id: str | None = None,
                    at: datetime | None = None, secrets: list[str] | None = None,
                    content_type: str = "application/json") -> httpx.Response:
    msg_id = msg_id or uid("msg")
    secret = secrets or [HOTLINE_SECRET if sender == "hotline" else EMERGENCY_SECRET]
    headers = sign_headers(secret, msg_id, at or datetime.now(timezone.utc), body)
    return await client.post(f"/webhooks/{sender}", content=body, headers={**headers, "content-type": content_type})


# ---- the stream -----------------------------------------------------------------------------------
async def stream_envelopes(nats_url: str, namespace: str, service: str = "referral") -> list[Envelope]:
    """Every message of a service's stream, read with a client of our own (what a consumer would see)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        name = stream_name(namespace, service)
        try:
            info = await js.stream_info(name)
        except NotFoundError:
            return []
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages == 0:
                break
            msg = await js.get_msg(name, seq)
            out.append(Envelope.from_bytes(msg.data))
        return out
    finally:
        await nc.close()


async def raw_stream(nats_url: str, namespace: str, service: str = "referral") -> list[bytes]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        name = stream_name(namespace, service)
        info = await js.stream_info(name)
        return [(await js.get_msg(name, seq)).data for seq in range(info.state.first_seq, info.state.last_seq + 1)
                if info.state.messages]
    finally:
        await nc.close()


def of_type(envelopes: list[Envelope], suffix: str, subject: str | None = None) -> list[Envelope]:
    kind = f"alliance.referral.{suffix}"
    return [e for e in envelopes if e.type == kind and (subject is None or e.subject == subject)]


async def count(svc: RunningService, table: Any, *where: Any) -> int:
    async with svc.runtime.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def rows(svc: RunningService, table: Any, *where: Any) -> list[dict[str, Any]]:
    async with svc.runtime.transaction() as session:
        return [dict(r) for r in (await session.execute(select(table).where(*where))).mappings().all()]


def is_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body
