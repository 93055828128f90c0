"""Quarantine: webhooks naming doctors / institutions the directory does not know yet are kept (sealed), visible,
re-processable by hand, and released automatically when the registry event arrives through JetStream."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import insert

from libs.auth.principal import Role
from libs.auth.testing import as_principal
from libs.events.schemas import registry as reg
from services.referral.persistence.tables import dir_doctors, referrals, webhook_quarantine
from tests.harness.waiting import eventually
from tests.services.referral.helpers import (
    ALLIANCE,
    MEMBER,
    MEMBER_2,
    apply_registry,
    count,
    doctor,
    hook_body,
    is_problem,
    of_type,
    office,
    post_hook,
    publish_registry,
    requested_data,
    rows,
    stream_envelopes,
    uid,
)

T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
ADMIN = as_principal(Role.PLATFORM_ADMIN, sub="ops")


def request_from(doctor_id: str, unit: str = MEMBER, external: str | None = None) -> bytes:
    data = requested_data(referring={"institution_id": unit, "doctor_id": doctor_id})
    return hook_body("referral.requested", external or uid("HL"), T0, **data)


class TestQuarantine:
    async def test_unknown_doctor_waits_visible_then_a_registry_event_releases_it(self, svc, env) -> None:
        body, msg = request_from("doc-new"), uid("msg")
        first = await post_hook(svc.client, body, msg_id=msg)
        assert first.status_code == 202
        result = first.json()
        assert result["status"] == "quarantined" and result["reason_code"] == "unknown_doctor"
        assert result["waiting_for"] == ["doctor:doc-new"]
        assert await count(svc, referrals) == 0
        again = await post_hook(svc.client, body, msg_id=msg)
        assert again.status_code == 202 and again.json() == result  # the original result, nothing changed

        listed = (await svc.client.get("/webhooks/quarantine", headers=ADMIN)).json()["items"]
        assert [e["id"] for e in listed] == [result["quarantine_id"]]
        assert "payload_ct" not in listed[0] and listed[0]["missing_refs"] == ["doctor:doc-new"]
        assert len((await svc.client.get("/webhooks/quarantine", headers=office())).json()["items"]) == 1
        assert (await svc.client.get("/webhooks/quarantine", headers=office("other"))).json()["items"] == []
        is_problem(await svc.client.get("/webhooks/quarantine", headers=doctor()), 403)

        still = await svc.client.post(f"/webhooks/quarantine/{result['quarantine_id']}/reprocess", headers=ADMIN)
        assert still.status_code == 200 and still.json()["status"] == "quarantined"

        await publish_registry(svc, reg.DoctorRegistered(doctor_id="doc-new", institution_id=MEMBER,
                                                         display_name="新医生", effective_date=date(2024, 6, 1)))
        [entry] = await eventually(lambda: rows(svc, webhook_quarantine),
                                   until=lambda es: es[0]["status"] == "resolved", what="quarantine released")
        assert entry["attempts"] >= 2
        [referral] = await rows(svc, referrals)
        assert referral["status"] == "requested" and referral["referring_doctor_id"] == "doc-new"
        events = await eventually(lambda: stream_envelopes(env.nats_url, env.namespace),
                                  until=lambda es: of_type(es, "referral.requested"), what="requested event")
        assert of_type(events, "referral.requested")[0].data["referring_doctor_id"] == "doc-new"

    async def test_non_operating_alliance_waits_until_it_is_filed(self, svc) -> None:
        await apply_registry(svc, reg.AllianceStatusChanged(
            alliance_id=ALLIANCE, name="湖南省儿科专科联盟", region_code="430000", specialty_code="peds",
            level="province", from_status="filed", to_status="suspended", operating=False, actor="commission"))
        response = await post_hook(svc.client, request_from("doc-member"))
        assert response.status_code == 202 and response.json()["reason_code"] == "alliance_not_operating"
        await apply_registry(svc, reg.AllianceStatusChanged(
            alliance_id=ALLIANCE, name="湖南省儿科专科联盟", region_code="430000", specialty_code="peds",
            level="province", from_status="suspended", to_status="filed", operating=True, actor="commission"))
        [entry] = await rows(svc, webhook_quarantine)
        assert entry["status"] == "resolved"
        assert await count(svc, referrals) == 1

    async def test_doctor_at_another_unit_is_held_and_reprocessed_by_hand(self, svc) -> None:
        response = await post_hook(svc.client, request_from("doc-member-2", unit=MEMBER))
        assert response.json()["reason_code"] == "doctor_not_at_institution"
        entry_id = response.json()["quarantine_id"]
        is_problem(await svc.client.post(f"/webhooks/quarantine/{entry_id}/reprocess", headers=doctor()), 403)
        is_problem(await svc.client.post(f"/webhooks/quarantine/{entry_id}/reprocess", headers=office("other")), 404)
        async with svc.runtime.transaction() as session:  # the replica was restored out of band
            await session.execute(insert(dir_doctors).values(doctor_id="doc-late", institution_id=MEMBER_2,
                                                             display_name="", effective_date=date(2024, 1, 1)))
            await session.execute(dir_doctors.update().where(dir_doctors.c.doctor_id == "doc-member-2")
                                  .values(institution_id=MEMBER))
        done = await svc.client.post(f"/webhooks/quarantine/{entry_id}/reprocess", headers=office())
        assert done.status_code == 200 and done.json()["status"] == "applied"
        is_problem(await svc.client.post(f"/webhooks/quarantine/{entry_id}/reprocess", headers=ADMIN), 409)
        assert await count(svc, referrals) == 1
