"""Platform referrals (双向转诊): request, each transition with who/when, closed loop, authorization, bad input."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from libs.auth.principal import Role
from libs.auth.testing import as_principal
from libs.events.schemas import registry as reg
from services.referral.persistence.tables import referrals
from tests.harness.waiting import eventually
from tests.services.referral.helpers import (
    ALLIANCE,
    LEAD,
    LEAD_DOCTOR,
    MEMBER,
    MEMBER_2_DOCTOR,
    MEMBER_DOCTOR,
    OUTSIDER_DOCTOR,
    apply_registry,
    count,
    doctor,
    hook_body,
    is_problem,
    of_type,
    office,
    patient,
    post_hook,
    requested_data,
    stream_envelopes,
    uid,
    unit_admin,
    with_key,
)

AUDITOR = as_principal(Role.AUDITOR, sub="auditor")


def up_request(**overrides: object) -> dict[str, object]:
    return {"alliance_id": ALLIANCE, "direction": "up", "setting": "inpatient", "receiving": {"institution_id": LEAD},
            "reason": "反复高热 5 天，需上级医院诊治", "indication": "difficult_complex", "urgency": "urgent",
            "patient": patient(), **overrides}


async def create(svc, body: dict[str, object] | None = None, who: str = MEMBER_DOCTOR) -> dict[str, object]:
    response = await svc.client.post("/referrals", json=body or up_request(), headers=with_key(doctor(who)))
    assert response.status_code == 201, response.text
    return response.json()


async def step(svc, rid: str, action: str, who: dict[str, str], body: dict[str, object] | None = None):
    return await svc.client.post(f"/referrals/{rid}/{action}", json=body, headers=who)


class TestLifecycle:
    async def test_up_inpatient_referral_from_request_to_closed_loop(self, svc, env) -> None:
        key_headers = with_key(doctor())
        created = await svc.client.post("/referrals", json=up_request(), headers=key_headers)
        assert created.status_code == 201 and created.json()["status"] == "requested"
        assert created.headers["location"] == f"/referrals/{created.json()['referral_id']}"
        replay = await svc.client.post("/referrals", json=up_request(), headers=key_headers)
        assert replay.headers["idempotent-replayed"] == "true" and replay.json() == created.json()
        assert "patient" not in created.text or created.json()["patient"] is None  # no identity in the stored reply
        rid = created.json()["referral_id"]
        lead = doctor(LEAD_DOCTOR)
        for action, body, status in (("accept", None, "accepted"), ("arrival", None, "arrived"),
                                     ("admission", None, "admitted"),
                                     ("complete", {"outcome": {"summary": "住院 7 天，好转出院", "diagnosis": "肺炎",
                                                               "advice": "一周后复诊"}}, "completed")):
            response = await step(svc, rid, action, lead, body)
            assert response.status_code == 200 and response.json()["status"] == status, response.text

        detail = (await svc.client.get(f"/referrals/{rid}", headers=doctor())).json()
        assert detail["patient"]["name"] == "李小明" and detail["view"] == "full"
        assert [(h["to_status"], h["by"], h["by_institution_id"]) for h in detail["history"]] == [
            ("requested", MEMBER_DOCTOR, MEMBER), ("accepted", LEAD_DOCTOR, LEAD), ("arrived", LEAD_DOCTOR, LEAD),
            ("admitted", LEAD_DOCTOR, LEAD), ("completed", LEAD_DOCTOR, LEAD)]
        loop = (await svc.client.get(f"/referrals/{rid}/outcome", headers=doctor())).json()
        assert loop["recipient"] == {"institution_id": MEMBER, "doctor_id": MEMBER_DOCTOR}
        assert loop["outcome"]["advice"] == "一周后复诊"

        events = await eventually(lambda: stream_envelopes(env.nats_url, env.namespace),
                                  until=lambda es: of_type(es, "referral.completed", rid), what="completion")
        [award] = of_type(events, "award.due", rid)
        assert (award.data["rule_code"], award.data["variant"]) == ("R02b", "inpatient")
        assert award.data["beneficiary_institution_id"] == MEMBER
        assert len(of_type(events, "referral.status_changed", rid)) == 5

    async def test_down_referral_awards_the_receiving_doctor(self, svc, env) -> None:
        body = {**up_request(), "direction": "down", "receiving": {"institution_id": MEMBER},
                "indication": "stable", "urgency": "routine"}
        rid = (await create(svc, body, who=LEAD_DOCTOR))["referral_id"]
        await step(svc, rid, "accept", doctor(MEMBER_DOCTOR))
        assert (await step(svc, rid, "arrival", doctor(MEMBER_DOCTOR))).status_code == 200
        events = await eventually(lambda: stream_envelopes(env.nats_url, env.namespace),
                                  until=lambda es: of_type(es, "award.due", rid), what="award")
        [award] = of_type(events, "award.due", rid)
        assert (award.data["rule_code"], award.data["beneficiary_doctor_id"]) == ("R02c", MEMBER_DOCTOR)

    async def test_cancel_after_acceptance_then_arrival_is_a_conflict_naming_the_state(self, svc) -> None:
        rid = (await create(svc))["referral_id"]
        await step(svc, rid, "accept", doctor(LEAD_DOCTOR))
        cancelled = await step(svc, rid, "cancel", doctor(), {"reason": "家属要求就近治疗"})
        assert cancelled.json()["status"] == "cancelled"
        problem = is_problem(await step(svc, rid, "arrival", doctor(LEAD_DOCTOR)), 409)
        assert "已取消" in problem["detail"] and problem["current_status"] == "cancelled"

    async def test_illegal_transition_changes_nothing(self, svc) -> None:
        rid = (await create(svc))["referral_id"]
        problem = is_problem(await step(svc, rid, "admission", doctor(LEAD_DOCTOR)), 409)
        assert problem["detail"] == "当前状态为「已申请」，不能登记入院" and problem["current_status"] == "requested"
        detail = (await svc.client.get(f"/referrals/{rid}", headers=doctor())).json()
        assert detail["status"] == "requested" and len(detail["history"]) == 1


class TestAuthorization:
    async def test_roles_and_scopes(self, svc) -> None:
        rid = (await create(svc))["referral_id"]
        is_problem(await svc.client.post("/referrals", json=up_request(), headers=with_key(office())), 403)
        is_problem(await step(svc, rid, "accept", doctor()), 403)  # the referring side cannot accept
        for outsider in (doctor(MEMBER_2_DOCTOR), unit_admin("inst-member-2")):
            is_problem(await step(svc, rid, "accept", outsider), 404)
            is_problem(await svc.client.get(f"/referrals/{rid}", headers=outsider), 404)
        is_problem(await svc.client.get(f"/referrals/{rid}", headers=office("other-alliance")), 404)
        far = as_principal(Role.HEALTH_COMMISSION, sub="c2", region_code="440000")
        is_problem(await svc.client.get(f"/referrals/{rid}", headers=far), 404)
        for oversight in (office(), AUDITOR, as_principal(Role.HEALTH_COMMISSION, sub="c1", region_code="430000")):
            seen = (await svc.client.get(f"/referrals/{rid}", headers=oversight)).json()
            assert seen["view"] == "pseudonymous" and seen["patient"] is None and seen["reason"] is None
        listed = (await svc.client.get("/referrals", headers=doctor(MEMBER_2_DOCTOR))).json()
        assert listed["items"] == []
        is_problem(await svc.client.get(f"/referrals/{rid}"), 401)

    async def test_doctor_not_registered_at_a_member_unit_is_refused(self, svc) -> None:
        unknown = as_principal(Role.DOCTOR, sub="x", doctor_id="doc-unknown")
        is_problem(await svc.client.post("/referrals", json=up_request(), headers=with_key(unknown)), 403)
        response = await svc.client.post("/referrals", json=up_request(), headers=with_key(doctor(OUTSIDER_DOCTOR)))
        assert is_problem(response, 403)["errors"][0]["field"] == "referring.institution_id"

    async def test_non_operating_alliance_refuses_activity(self, svc) -> None:
        await apply_registry(svc, reg.AllianceDissolved(alliance_id=ALLIANCE, reason="连续两年评价不合格"))
        problem = is_problem(await svc.client.post("/referrals", json=up_request(), headers=with_key(doctor())), 409)
        assert "未备案或已解散" in problem["detail"]
        assert await count(svc, referrals) == 0


class TestBadInput:
    async def test_mass_assignment_and_bounds_are_422(self, svc) -> None:
        for body, field in ((up_request(status="completed"), "body.status"),
                            (up_request(reason="x" * 501), "body.reason"),
                            (up_request(patient={**patient(), "id_number": "123"}), "body.patient.id_number"),
                            (up_request(channel="reserved_slot"), "channel"),
                            (up_request(indication="cosmetic"), "indication")):
            problem = is_problem(await svc.client.post("/referrals", json=body, headers=with_key(doctor())), 422)
            assert problem["errors"][0]["field"] == field, problem
        assert await count(svc, referrals) == 0

    async def test_missing_idempotency_key_is_400(self, svc) -> None:
        is_problem(await svc.client.post("/referrals", json=up_request(), headers=doctor()), 400)

    async def test_external_referrals_are_driven_by_their_sender(self, svc) -> None:
        at = datetime.now(timezone.utc) - timedelta(hours=1)
        posted = await post_hook(svc.client, hook_body("referral.requested", uid("HL"), at, **requested_data()))
        rid = posted.json()["referral_id"]
        problem = is_problem(await step(svc, rid, "accept", doctor(LEAD_DOCTOR)), 409)
        assert "客服专线" in problem["detail"]

    async def test_list_pages_with_a_cursor(self, svc) -> None:
        for serial in range(3):
            await create(svc, up_request(patient=patient(serial=serial + 1)))
        first = (await svc.client.get("/referrals?limit=2", headers=doctor())).json()
        assert len(first["items"]) == 2 and first["next_cursor"]
        rest = (await svc.client.get(f"/referrals?limit=2&cursor={first['next_cursor']}", headers=doctor())).json()
        assert len(rest["items"]) == 1 and rest["next_cursor"] is None
        is_problem(await svc.client.get("/referrals?limit=1000000000", headers=doctor()), 422)
