"""预留号源: no overbooking under real concurrency (asyncio.gather against PostgreSQL), cancellation returns the
slot, R02a award and its revocation, who may open / book / cancel."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from libs.kit.clock import business_date
from services.referral.persistence.tables import slot_bookings, slot_pools
from tests.harness.waiting import eventually
from tests.services.referral.helpers import (
    ALLIANCE,
    LEAD,
    LEAD_DOCTOR,
    MEMBER_2_DOCTOR,
    MEMBER_DOCTOR,
    OUTSIDER_DOCTOR,
    count,
    doctor,
    is_problem,
    of_type,
    office,
    patient,
    rows,
    stream_envelopes,
    unit_admin,
    with_key,
)


def tomorrow(svc) -> date:
    return business_date(svc.runtime.clock.now()) + timedelta(days=1)


async def open_pool(svc, capacity: int, department: str = "小儿神经内科") -> dict[str, object]:
    response = await svc.client.post("/slot-pools", headers=with_key(office()), json={
        "alliance_id": ALLIANCE, "department": department, "on_date": tomorrow(svc).isoformat(),
        "capacity": capacity})
    assert response.status_code == 201, response.text
    return response.json()


async def book(svc, pool_id: str, serial: int, who: str = MEMBER_DOCTOR):
    return await svc.client.post(f"/slot-pools/{pool_id}/bookings", headers=with_key(doctor(who)),
                                 json={"patient": patient(serial=serial)})


class TestBooking:
    async def test_concurrent_bookings_never_exceed_capacity(self, svc) -> None:
        pool = await open_pool(svc, capacity=5)
        responses = await asyncio.gather(*(book(svc, pool["pool_id"], serial=n + 1,
                                                who=(MEMBER_DOCTOR, MEMBER_2_DOCTOR)[n % 2]) for n in range(30)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] * 5 + [409] * 25, statuses
        assert all("已约满" in r.json()["detail"] for r in responses if r.status_code == 409)
        assert await count(svc, slot_bookings, slot_bookings.c.status == "active") == 5
        [stored] = await rows(svc, slot_pools)
        assert stored["booked"] == stored["capacity"] == 5

    async def test_cancellation_returns_the_slot_and_revokes_the_award(self, svc, env) -> None:
        pool = await open_pool(svc, capacity=1)
        first = (await book(svc, pool["pool_id"], serial=1)).json()
        is_problem(await book(svc, pool["pool_id"], serial=2), 409)
        cancelled = await svc.client.post(f"/slot-pools/{pool['pool_id']}/bookings/{first['booking_id']}/cancel",
                                          headers=doctor(), json={"reason": "患者改期"})
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        again = await book(svc, pool["pool_id"], serial=2)
        assert again.status_code == 201
        events = await eventually(lambda: stream_envelopes(env.nats_url, env.namespace),
                                  until=lambda es: len(of_type(es, "award.due")) == 2, what="two awards")
        due = of_type(events, "award.due", first["booking_id"])
        [revoked] = of_type(events, "award.revoked", first["booking_id"])
        assert (due[0].data["rule_code"], due[0].data["variant"]) == ("R02a", "booking")
        assert due[0].data["facts"]["kind"] == "reserved_slot_booked"
        assert due[0].data["facts"]["booking_doctor_id"] == MEMBER_DOCTOR
        assert revoked.data["revokes_fact_id"] == due[0].data["fact_id"]
        assert len(of_type(events, "slot.booked")) == 2 and len(of_type(events, "slot.booking_cancelled")) == 1

    async def test_same_patient_twice_and_who_may_book(self, svc) -> None:
        pool = await open_pool(svc, capacity=3)
        assert (await book(svc, pool["pool_id"], serial=1)).status_code == 201
        assert "已有有效预约" in is_problem(await book(svc, pool["pool_id"], serial=1), 409)["detail"]
        is_problem(await book(svc, pool["pool_id"], serial=2, who=LEAD_DOCTOR), 403)
        is_problem(await book(svc, pool["pool_id"], serial=2, who=OUTSIDER_DOCTOR), 404)
        is_problem(await svc.client.post(f"/slot-pools/{pool['pool_id']}/bookings", headers=with_key(office()),
                                         json={"patient": patient(serial=3)}), 403)


class TestPools:
    async def test_open_resize_and_refusals(self, svc) -> None:
        pool = await open_pool(svc, capacity=2)
        assert pool["institution_id"] == LEAD and pool["remaining"] == 2
        is_problem(await svc.client.post("/slot-pools", headers=with_key(office()), json={
            "alliance_id": ALLIANCE, "department": "小儿神经内科", "on_date": tomorrow(svc).isoformat(),
            "capacity": 3}), 409)
        past = await svc.client.post("/slot-pools", headers=with_key(unit_admin(LEAD)), json={
            "alliance_id": ALLIANCE, "department": "小儿呼吸科", "on_date": "2020-01-01", "capacity": 3})
        assert is_problem(past, 422)["errors"][0]["field"] == "on_date"
        is_problem(await svc.client.post("/slot-pools", headers=with_key(unit_admin("inst-member-1")), json={
            "alliance_id": ALLIANCE, "department": "小儿呼吸科", "on_date": tomorrow(svc).isoformat(),
            "capacity": 3}), 403)
        await book(svc, pool["pool_id"], serial=1)
        await book(svc, pool["pool_id"], serial=2)
        shrink = await svc.client.patch(f"/slot-pools/{pool['pool_id']}", headers=office(), json={"capacity": 1})
        assert is_problem(shrink, 409)["errors"][0]["field"] == "capacity"
        grown = await svc.client.patch(f"/slot-pools/{pool['pool_id']}", headers=office(), json={"capacity": 4})
        assert grown.json()["remaining"] == 2
        listed = await svc.client.get(f"/slot-pools?alliance_id={ALLIANCE}&start={tomorrow(svc)}&end={tomorrow(svc)}",
                                      headers=doctor())
        assert [p["pool_id"] for p in listed.json()] == [pool["pool_id"]]
        own = (await svc.client.get(f"/slot-pools/{pool['pool_id']}/bookings", headers=doctor(MEMBER_2_DOCTOR)))
        assert own.json() == []
