"""Statistics for the alliance office / commission / auditors: referral counts and churn flags (row 30)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from libs.auth.principal import Role
from libs.auth.testing import as_principal
from libs.kit.clock import business_date
from tests.services.referral.helpers import (
    ALLIANCE,
    MEMBER_DOCTOR,
    doctor,
    hook_body,
    is_problem,
    office,
    patient,
    post_hook,
    requested_data,
    uid,
    with_key,
)


class TestOversight:
    async def test_referral_counts_by_direction_setting_channel_and_status(self, svc) -> None:
        at = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
        for kind_setting in ("outpatient", "inpatient"):
            await post_hook(svc.client, hook_body("referral.requested", uid("HL"), at,
                                                  **requested_data(setting=kind_setting)))
        day = business_date(at).isoformat()
        url = f"/stats/referrals?alliance_id={ALLIANCE}&start={day}&end={day}"
        counts = (await svc.client.get(url, headers=office())).json()
        assert {(c["setting"], c["channel"], c["status"], c["count"]) for c in counts} == {
            ("outpatient", "hotline", "requested", 1), ("inpatient", "hotline", "requested", 1)}
        assert (await svc.client.get(url, headers=as_principal(Role.AUDITOR, sub="a"))).status_code == 200
        is_problem(await svc.client.get(url, headers=doctor()), 404)

    async def test_booking_churn_is_flagged_for_review(self, svc) -> None:
        tomorrow = (business_date(datetime.now(timezone.utc)) + timedelta(days=1)).isoformat()
        pool = (await svc.client.post("/slot-pools", headers=with_key(office()), json={
            "alliance_id": ALLIANCE, "department": "儿科", "on_date": tomorrow, "capacity": 5})).json()
        for serial in range(1, 6):
            booking = (await svc.client.post(f"/slot-pools/{pool['pool_id']}/bookings", headers=with_key(doctor()),
                                             json={"patient": patient(serial=serial)})).json()
            await svc.client.post(f"/slot-pools/{pool['pool_id']}/bookings/{booking['booking_id']}/cancel",
                                  headers=doctor(), json={"reason": "改期"})
        today = business_date(datetime.now(timezone.utc)).isoformat()
        flags = (await svc.client.get(f"/abuse/flags?alliance_id={ALLIANCE}&start={today}&end={today}",
                                      headers=office())).json()
        assert [(f["doctor_id"], f["reason"], f["count"]) for f in flags] == [
            (MEMBER_DOCTOR, "cancellation_churn", 5)]
