"""远程会诊 / 心电 / 影像: request (R05 award), answer, 结果互认, cancel (revocation), scopes."""

from __future__ import annotations

from tests.harness.waiting import eventually
from tests.services.referral.helpers import (
    ALLIANCE,
    LEAD,
    LEAD_DOCTOR,
    MEMBER_2_DOCTOR,
    MEMBER_DOCTOR,
    OUTSIDER_DOCTOR,
    doctor,
    is_problem,
    of_type,
    office,
    patient,
    stream_envelopes,
    unit_admin,
    with_key,
)


async def request(svc, kind: str = "consult", who: str = MEMBER_DOCTOR) -> dict[str, object]:
    response = await svc.client.post("/consults", headers=with_key(doctor(who)), json={
        "alliance_id": ALLIANCE, "kind": kind, "responder_institution_id": LEAD,
        "question": "患儿反复抽搐，请协助判读脑电图", "patient": patient()})
    assert response.status_code == 201, response.text
    return response.json()


class TestConsults:
    async def test_request_answer_and_mutual_recognition(self, svc, env) -> None:
        consult = await request(svc, kind="pharmacist")
        cid = consult["consult_id"]
        assert consult["status"] == "requested" and "question" not in consult or consult["question"] is None
        answered = await svc.client.post(f"/consults/{cid}/answer", headers=doctor(LEAD_DOCTOR),
                                         json={"conclusion": "建议调整丙戊酸钠剂量", "report_ref": "RPT-1"})
        assert answered.json()["status"] == "answered"
        recognized = await svc.client.post(f"/consults/{cid}/recognitions", headers=doctor(MEMBER_2_DOCTOR))
        assert recognized.status_code == 201 and recognized.json()["institution_id"] == "inst-member-2"
        is_problem(await svc.client.post(f"/consults/{cid}/recognitions", headers=doctor(MEMBER_2_DOCTOR)), 409)
        is_problem(await svc.client.post(f"/consults/{cid}/recognitions", headers=doctor(LEAD_DOCTOR)), 422)
        is_problem(await svc.client.post(f"/consults/{cid}/recognitions", headers=doctor(OUTSIDER_DOCTOR)), 404)

        full = (await svc.client.get(f"/consults/{cid}", headers=doctor())).json()
        assert full["conclusion"] == "建议调整丙戊酸钠剂量" and full["patient_name"] == "李小明"
        seen = (await svc.client.get(f"/consults/{cid}", headers=office())).json()
        assert seen["question"] is None and seen["patient_name"] is None and len(seen["recognitions"]) == 1
        is_problem(await svc.client.get(f"/consults/{cid}", headers=doctor(MEMBER_2_DOCTOR)), 404)

        events = await eventually(lambda: stream_envelopes(env.nats_url, env.namespace),
                                  until=lambda es: of_type(es, "consult.result_recognized", cid), what="recognition")
        [award] = of_type(events, "award.due", cid)
        assert (award.data["rule_code"], award.data["variant"], award.data["rule_hint"]) == (
            "R05", "consult", "R05-consult")
        assert award.data["facts"]["service"] == "pharmacist_consult"
        assert award.data["facts"]["requesting_doctor_id"] == MEMBER_DOCTOR
        assert of_type(events, "consult.answered", cid)[0].data["answered_by"] == LEAD_DOCTOR

    async def test_cancel_revokes_the_award_and_is_refused_after_an_answer(self, svc, env) -> None:
        ecg = (await request(svc, kind="ecg"))["consult_id"]
        cancelled = await svc.client.post(f"/consults/{ecg}/cancel", headers=unit_admin("inst-member-1"),
                                          json={"reason": "已在本院完成检查"})
        assert cancelled.json()["status"] == "cancelled"
        is_problem(await svc.client.post(f"/consults/{ecg}/answer", headers=doctor(LEAD_DOCTOR),
                                         json={"conclusion": "窦性心律"}), 409)
        imaging = (await request(svc, kind="imaging"))["consult_id"]
        await svc.client.post(f"/consults/{imaging}/answer", headers=doctor(LEAD_DOCTOR),
                              json={"conclusion": "未见异常"})
        problem = is_problem(await svc.client.post(f"/consults/{imaging}/cancel", headers=doctor(),
                                                   json={"reason": "x"}), 409)
        assert problem["current_status"] == "answered"
        events = await eventually(lambda: stream_envelopes(env.nats_url, env.namespace),
                                  until=lambda es: of_type(es, "award.revoked", ecg), what="revocation")
        assert of_type(events, "award.due", ecg)[0].data["variant"] == "remote_ecg"
        assert of_type(events, "award.due", imaging)[0].data["variant"] == "remote_imaging"
        assert of_type(events, "award.revoked", imaging) == []

    async def test_request_between_alliance_units_only(self, svc) -> None:
        response = await svc.client.post("/consults", headers=with_key(doctor(OUTSIDER_DOCTOR)), json={
            "alliance_id": ALLIANCE, "kind": "consult", "responder_institution_id": LEAD, "question": "q",
            "patient": patient()})
        is_problem(response, 403)
        listed = (await svc.client.get("/consults", headers=doctor(MEMBER_2_DOCTOR))).json()
        assert listed["items"] == []
