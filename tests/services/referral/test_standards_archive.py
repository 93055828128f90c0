"""转诊标准 per alliance (versions, indications enforced on referrals) and the 转诊档案 per patient."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.harness.waiting import eventually
from tests.services.referral.helpers import (
    ALLIANCE,
    LEAD,
    LEAD_DOCTOR,
    MEMBER,
    MEMBER_2_DOCTOR,
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

STANDARD = {
    "version": "2024-1", "effective_from": "2024-01-01",
    "indications": [{"code": "febrile_seizure", "direction": "up", "title": "热性惊厥反复发作"},
                    {"code": "stable_rehab", "direction": "down", "title": "病情稳定、康复期"}],
    "documents": [{"kind": "referral_criteria", "title": "儿科转诊标准", "version": "1", "adopted_on": "2024-01-01",
                   "implemented": True},
                  {"kind": "green_channel", "title": "绿色通道制度", "version": "1", "adopted_on": "2024-01-01"}],
}


def referral(indication: str) -> dict[str, object]:
    return {"alliance_id": ALLIANCE, "direction": "up", "setting": "outpatient", "receiving": {"institution_id": LEAD},
            "reason": "反复抽搐", "indication": indication, "patient": patient()}


class TestStandards:
    async def test_adopted_standard_governs_indications(self, svc, env) -> None:
        url = f"/alliances/{ALLIANCE}/standards"
        created = await svc.client.post(url, headers=office(), json=STANDARD)
        assert created.status_code == 201, created.text
        assert created.json()["missing_documents"] == ["referral_process", "operating_mechanism"]
        assert created.json()["not_implemented"] == ["green_channel"]
        is_problem(await svc.client.post(url, headers=office(), json=STANDARD), 409)
        is_problem(await svc.client.post(url, headers=doctor(), json={**STANDARD, "version": "x"}), 403)
        is_problem(await svc.client.post(url, headers=office("other"), json={**STANDARD, "version": "y"}), 404)
        bad = {**STANDARD, "version": "2", "indications": STANDARD["indications"][:1] * 2}
        is_problem(await svc.client.post(url, headers=office(), json=bad), 422)

        refused = await svc.client.post("/referrals", headers=with_key(doctor()), json=referral("difficult_complex"))
        assert "热性惊厥反复发作" in is_problem(refused, 422)["detail"]
        accepted = await svc.client.post("/referrals", headers=with_key(doctor()), json=referral("febrile_seizure"))
        assert accepted.status_code == 201
        current = (await svc.client.get(f"{url}/current", headers=doctor())).json()
        assert current["version"] == "2024-1"
        events = await eventually(lambda: stream_envelopes(env.nats_url, env.namespace),
                                  until=lambda es: of_type(es, "standard.published"), what="standard event")
        assert of_type(events, "standard.published")[0].data["indication_codes"] == ["febrile_seizure", "stable_rehab"]


class TestArchive:
    async def test_a_patients_referrals_across_channels_scoped_to_the_caller(self, svc) -> None:
        block = patient(name="王小红", male=False, serial=7)
        ref = (await svc.client.post("/patients/pseudonym", headers=doctor(),
                                     json={"patient": block})).json()["patient_ref"]
        created = await svc.client.post("/referrals", headers=with_key(doctor()), json={**referral("difficult_complex"),
                                                                                       "patient": block})
        rid = created.json()["referral_id"]
        await svc.client.post(f"/referrals/{rid}/accept", headers=doctor(LEAD_DOCTOR))
        await svc.client.post(f"/referrals/{rid}/arrival", headers=doctor(LEAD_DOCTOR))
        await svc.client.post(f"/referrals/{rid}/visit", headers=doctor(LEAD_DOCTOR))
        await svc.client.post(f"/referrals/{rid}/complete", headers=doctor(LEAD_DOCTOR),
                              json={"outcome": {"summary": "门诊诊治后好转"}})
        at = datetime.now(timezone.utc) - timedelta(hours=1)
        down = requested_data(direction="down", setting="inpatient", indication="stable", patient_block=block)
        await post_hook(svc.client, hook_body("referral.requested", uid("HL"), at, **down))

        archive = (await svc.client.get(f"/patients/{ref}/archive", headers=unit_admin(MEMBER))).json()
        assert (archive["up"], archive["down"]) == (1, 1)
        assert [e["channel"] for e in archive["entries"]] == ["hotline", "platform"]  # by request time
        assert archive["entries"][1]["outcome_summary"] == "门诊诊治后好转"
        by_office = (await svc.client.get(f"/patients/{ref}/archive", headers=office())).json()
        assert len(by_office["entries"]) == 2 and by_office["entries"][1]["outcome_summary"] is None
        is_problem(await svc.client.get(f"/patients/{ref}/archive", headers=doctor(MEMBER_2_DOCTOR)), 404)
        is_problem(await svc.client.get("/patients/not-a-ref/archive", headers=doctor()), 422)
