"""POST /webhooks/{sender}: Standard Webhooks on raw bytes, duplicates, bad input, out-of-order events.

Reliability rows 10–13, 21–23 and 29, against the running service on real PostgreSQL and JetStream.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from datetime import datetime, timedelta, timezone

from libs.kit.clock import FixedClock
from libs.webhooks.standard import sign_headers
from services.referral.persistence.tables import referrals, webhook_log, webhook_rejections
from tests.harness.services import running_service
from tests.harness.waiting import eventually
from tests.services.referral.helpers import (
    EMERGENCY_SECRET,
    HOTLINE_SECRET,
    apply_registry,
    count,
    directory_events,
    hook_body,
    is_problem,
    of_type,
    patient,
    post_hook,
    requested_data,
    rows,
    stream_envelopes,
    uid,
)

NOW = datetime.now(timezone.utc).replace(microsecond=0)
T0 = NOW - timedelta(hours=6)  # milestones happened earlier today


def request_body(external_id: str, at: datetime = NOW, **overrides: object) -> bytes:
    return hook_body("referral.requested", external_id, at, **{**requested_data(), **overrides})


async def nothing_stored(svc) -> None:
    assert await count(svc, referrals) == 0
    assert await count(svc, webhook_log) == 0


class TestSignature:
    async def test_unsigned_is_refused_with_the_reason_and_recorded(self, svc) -> None:
        body = request_body(uid("HL"))
        response = await svc.client.post("/webhooks/hotline", content=body,
                                         headers={"content-type": "application/json"})
        problem = is_problem(response, 401)
        assert problem["code"] == "missing_header" and "webhook-id" in problem["detail"]
        await nothing_stored(svc)
        [refusal] = await rows(svc, webhook_rejections)
        assert refusal["code"] == "missing_header" and refusal["sender"] == "hotline"

    async def test_wrong_secret_changed_byte_and_reserialised_json_are_refused(self, svc) -> None:
        body = request_body(uid("HL"))
        other = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        assert is_problem(await post_hook(svc.client, body, secrets=[other]), 401)["code"] == "bad_signature"
        headers = sign_headers([HOTLINE_SECRET], "msg-x", datetime.now(timezone.utc), body)
        for tampered in (body.replace(b"up", b"uq", 1), json.dumps(json.loads(body)).encode()):
            response = await svc.client.post("/webhooks/hotline", content=tampered,
                                             headers={**headers, "content-type": "application/json"})
            assert is_problem(response, 401)["code"] == "bad_signature"
        await nothing_stored(svc)

    async def test_one_senders_secret_does_not_sign_for_the_other(self, svc) -> None:
        response = await post_hook(svc.client, request_body(uid("HL")), sender="hotline", secrets=[EMERGENCY_SECRET])
        assert is_problem(response, 401)["code"] == "bad_signature"

    async def test_unknown_sender(self, svc) -> None:
        response = await post_hook(svc.client, request_body(uid("HL")), sender="his", secrets=[HOTLINE_SECRET])
        assert is_problem(response, 401)["code"] == "unknown_sender"

    async def test_stale_and_future_timestamps_are_refused_four_minutes_pass(self, svc) -> None:
        svc.runtime.clock = FixedClock(NOW)
        for skew, code in ((-6, "timestamp_too_old"), (6, "timestamp_too_new")):
            response = await post_hook(svc.client, request_body(uid("HL")), at=NOW + timedelta(minutes=skew))
            assert is_problem(response, 401)["code"] == code
        await nothing_stored(svc)
        for skew in (-4, 4):
            response = await post_hook(svc.client, request_body(uid("HL")), at=NOW + timedelta(minutes=skew))
            assert response.status_code == 200, response.text

    async def test_captured_request_replayed_after_the_tolerance_is_refused(self, svc) -> None:
        svc.runtime.clock = FixedClock(NOW)
        body = request_body(uid("HL"))
        headers = {**sign_headers([HOTLINE_SECRET], "msg-replay", NOW, body), "content-type": "application/json"}
        assert (await svc.client.post("/webhooks/hotline", content=body, headers=headers)).status_code == 200
        svc.runtime.clock.advance(timedelta(minutes=6))
        response = await svc.client.post("/webhooks/hotline", content=body, headers=headers)
        assert is_problem(response, 401)["code"] == "timestamp_too_old"

    async def test_rotation_accepts_any_current_secret(self, env) -> None:
        old, new = HOTLINE_SECRET, "whsec_" + base64.b64encode(os.urandom(32)).decode()
        async with running_service(env, "referral", webhook_secrets={"hotline": [new, old]}) as svc:
            await apply_registry(svc, *directory_events())
            assert (await post_hook(svc.client, request_body(uid("HL")), secrets=[old])).status_code == 200
            assert (await post_hook(svc.client, request_body(uid("HL")), secrets=[new])).status_code == 200
            two = await post_hook(svc.client, request_body(uid("HL")), secrets=[
                "whsec_" + base64.b64encode(os.urandom(32)).decode(), new])
            assert two.status_code == 200


class TestDuplicates:
    async def test_same_id_and_body_minutes_apart_returns_the_original_result(self, svc) -> None:
        svc.runtime.clock = FixedClock(NOW)
        body, msg = request_body(uid("HL")), uid("msg")
        first = await post_hook(svc.client, body, msg_id=msg, at=NOW)
        svc.runtime.clock.advance(timedelta(minutes=3))
        again = await post_hook(svc.client, body, msg_id=msg, at=NOW + timedelta(minutes=3))
        assert first.status_code == again.status_code == 200
        assert again.json() == first.json() and again.headers["webhook-replayed"] == "true"
        assert await count(svc, referrals) == 1 and await count(svc, webhook_log) == 1

    async def test_same_id_with_another_body_is_refused_and_changes_nothing(self, svc) -> None:
        external, msg = uid("HL"), uid("msg")
        assert (await post_hook(svc.client, request_body(external), msg_id=msg)).status_code == 200
        before = await rows(svc, referrals)
        forged = request_body(external, urgency="critical")
        problem = is_problem(await post_hook(svc.client, forged, msg_id=msg), 409)
        assert problem["code"] == "webhook_id_reused"
        assert await rows(svc, referrals) == before

    async def test_concurrent_identical_posts_apply_once(self, svc) -> None:
        body, msg = request_body(uid("HL")), uid("msg")
        responses = await asyncio.gather(*(post_hook(svc.client, body, msg_id=msg) for _ in range(6)))
        assert {r.status_code for r in responses} <= {200, 409}
        ok = [r for r in responses if r.status_code == 200]
        assert ok and all(r.json() == ok[0].json() for r in ok)
        assert sum(r.headers.get("webhook-replayed") != "true" for r in ok) == 1
        assert await count(svc, referrals) == 1 and await count(svc, webhook_log) == 1


class TestBadInput:
    async def test_malformed_bytes_are_400_after_a_valid_signature(self, svc) -> None:
        deep = b'{"type":"referral.arrived","data":' + b"[" * 5000 + b"]" * 5000 + b"}"
        for raw in (b"{not json", b'{"type": "\xff"}', b'{"type":"a","type":"b"}', deep):
            problem = is_problem(await post_hook(svc.client, raw), 400)
            assert problem["errors"][0]["field"] == "body"
        await nothing_stored(svc)

    async def test_invalid_fields_are_422_naming_the_field(self, svc) -> None:
        cases = {
            "body.data.patient.id_number": request_body(uid("HL"), patient={**patient(), "id_number": "430102"}),
            "body.data.extra": hook_body("referral.arrived", uid("HL"), NOW, extra="mass assignment"),
            "body.data.occurred_at": json.dumps({"type": "referral.arrived", "data": {
                "referral_id": "x", "occurred_at": "2024-06-01T08:00:00"}}).encode(),
            "body.data.reason": request_body(uid("HL"), reason="含\x00空字符"),
            "body.data.setting": request_body(uid("HL"), setting="emergency_transport"),
        }
        for field, raw in cases.items():
            problem = is_problem(await post_hook(svc.client, raw), 422)
            assert problem["errors"][0]["field"].startswith(field), (field, problem)
        await nothing_stored(svc)

    async def test_emergency_network_reports_only_up_emergency_transport(self, svc) -> None:
        raw = request_body(uid("EM"), setting="inpatient")
        assert is_problem(await post_hook(svc.client, raw, sender="emergency"), 422)["errors"][0]["field"] == \
            "body.data.setting"

    async def test_wrong_content_type_and_oversized_body(self, svc) -> None:
        assert is_problem(await post_hook(svc.client, request_body(uid("HL")), content_type="text/plain"), 415)
        huge = request_body(uid("HL"), reason="x" * 70_000)
        assert is_problem(await post_hook(svc.client, huge), 413)
        await nothing_stored(svc)


class TestOrdering:
    async def test_arrival_before_request_is_reconciled_and_awarded_once(self, svc, env) -> None:
        external = uid("HL")
        arrived = await post_hook(svc.client, hook_body("referral.arrived", external, T0 + timedelta(hours=2)))
        assert arrived.status_code == 200 and arrived.json()["referral_status"] == "arrived"
        requested = await post_hook(svc.client, request_body(external, T0))
        assert requested.json()["referral_status"] == "arrived"
        rid = requested.json()["referral_id"]
        events = await eventually(lambda: stream_envelopes(env.nats_url, env.namespace),
                                  until=lambda es: len(of_type(es, "award.due", rid)) == 1, what="award")
        [award] = of_type(events, "award.due", rid)
        assert award.data["rule_code"] == "R02b" and award.data["variant"] == "outpatient"
        assert award.data["beneficiary_doctor_id"] == "doc-member"
        assert award.data["facts"]["kind"] == "referral_completed"
        assert award.data["occurred_at"].startswith((T0 + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
        [changed] = of_type(events, "referral.status_changed", rid)
        assert (changed.data["from_status"], changed.data["to_status"]) == (None, "arrived")

    async def test_a_late_cancel_from_before_the_arrival_revokes_the_award(self, svc, env) -> None:
        external = uid("HL")
        await post_hook(svc.client, request_body(external, T0))
        await post_hook(svc.client, hook_body("referral.arrived", external, T0 + timedelta(hours=3)))
        late = await post_hook(svc.client, hook_body("referral.cancelled", external, T0 + timedelta(hours=1),
                                                     reason="家属要求就近治疗"))
        assert late.json()["referral_status"] == "cancelled"
        rid = late.json()["referral_id"]
        events = await eventually(lambda: stream_envelopes(env.nats_url, env.namespace),
                                  until=lambda es: len(of_type(es, "award.revoked", rid)) == 1, what="revocation")
        [due], [revoked] = of_type(events, "award.due", rid), of_type(events, "award.revoked", rid)
        assert revoked.data["revokes_fact_id"] == due.data["fact_id"]
        assert revoked.data["reason"] == "referral_reversed"
