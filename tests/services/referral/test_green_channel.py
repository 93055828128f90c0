"""绿色通道: priority services recorded with timestamps after arrival; per-alliance period counts and waits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from libs.auth.principal import Role
from libs.auth.testing import as_principal
from libs.kit.clock import FixedClock, business_date
from tests.harness.waiting import eventually
from tests.services.referral.helpers import (
    ALLIANCE,
    LEAD,
    LEAD_DOCTOR,
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

ARRIVAL = datetime(2024, 6, 1, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai


async def arrived_platform_referral(svc, *, urgency: str = "critical") -> str:
    created = await svc.client.post("/referrals", headers=with_key(doctor()), json={
        "alliance_id": ALLIANCE, "direction": "up", "setting": "inpatient", "receiving": {"institution_id": LEAD},
        "reason": "重症肺炎", "indication": "emergency_critical", "urgency": urgency, "patient": patient()})
    rid = created.json()["referral_id"]
    await svc.client.post(f"/referrals/{rid}/accept", headers=doctor(LEAD_DOCTOR))
    await svc.client.post(f"/referrals/{rid}/arrival", headers=doctor(LEAD_DOCTOR))
    return rid


class TestGreenChannel:
    async def test_services_with_waits_and_period_stats(self, svc, env) -> None:
        svc.runtime.clock = FixedClock(ARRIVAL)
        rid = await arrived_platform_referral(svc)
        svc.runtime.clock.advance(timedelta(minutes=30))
        for service, minutes in (("reception", 5), ("examination", 20)):
            response = await svc.client.post(f"/referrals/{rid}/green-channel", headers=unit_admin(LEAD), json={
                "service": service, "at": (ARRIVAL + timedelta(minutes=minutes)).isoformat()})
            assert response.status_code == 200, response.text
        case = response.json()
        assert case["wait_seconds"] == {"reception": 300, "examination": 1200}
        twice = await svc.client.post(f"/referrals/{rid}/green-channel", headers=doctor(LEAD_DOCTOR),
                                      json={"service": "reception"})
        is_problem(twice, 409)
        is_problem(await svc.client.post(f"/referrals/{rid}/green-channel", headers=doctor(),
                                         json={"service": "admission"}), 403)  # only the receiving unit

        day = business_date(ARRIVAL).isoformat()
        stats = (await svc.client.get(f"/green-channel/stats?alliance_id={ALLIANCE}&start={day}&end={day}",
                                      headers=office())).json()
        assert stats["cases"] == 1 and stats["served"] == {"reception": 1, "examination": 1, "admission": 0}
        assert stats["waits"]["reception"]["median_minutes"] == "5.0"
        assert stats["services_missing"] == ["admission"]
        commission = as_principal(Role.HEALTH_COMMISSION, sub="c", region_code="430100")
        is_problem(await svc.client.get(f"/green-channel/stats?alliance_id={ALLIANCE}&start={day}&end={day}",
                                        headers=commission), 404)  # a city commission does not cover a province
        is_problem(await svc.client.get(f"/green-channel/stats?alliance_id={ALLIANCE}&start={day}&end={day}",
                                        headers=doctor()), 404)
        events = await eventually(lambda: stream_envelopes(env.nats_url, env.namespace),
                                  until=lambda es: len(of_type(es, "green_channel.service_recorded")) == 2)
        assert len(of_type(events, "green_channel.opened", rid)) == 1
        assert {e.data["wait_seconds"] for e in of_type(events, "green_channel.service_recorded")} == {300, 1200}

    async def test_refused_before_arrival_and_for_routine_down_referrals(self, svc) -> None:
        created = await svc.client.post("/referrals", headers=with_key(doctor()), json={
            "alliance_id": ALLIANCE, "direction": "up", "setting": "outpatient", "receiving": {"institution_id": LEAD},
            "reason": "复诊", "indication": "difficult_complex", "patient": patient()})
        rid = created.json()["referral_id"]
        problem = is_problem(await svc.client.post(f"/referrals/{rid}/green-channel", headers=doctor(LEAD_DOCTOR),
                                                   json={"service": "reception"}), 409)
        assert "尚未到院" in problem["detail"]

    async def test_external_emergency_referral_gets_a_green_channel(self, svc) -> None:
        at = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
        external = uid("EM")
        data = requested_data(setting="emergency_transport", urgency="critical", indication="emergency_critical")
        posted = await post_hook(svc.client, hook_body("referral.requested", external, at, **data), sender="emergency")
        await post_hook(svc.client, hook_body("referral.arrived", external, at + timedelta(minutes=40)),
                        sender="emergency")
        rid = posted.json()["referral_id"]
        response = await svc.client.post(f"/referrals/{rid}/green-channel", headers=doctor(LEAD_DOCTOR),
                                         json={"service": "admission"})
        assert response.status_code == 200 and response.json()["wait_seconds"]["admission"] >= 19 * 60
