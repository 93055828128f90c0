"""积分申报 over HTTP against real PostgreSQL: submission with evidence (checksums round-trip), the scheme refusing
what it cannot score at submission (R11 3–6 months), office approval appending exactly one entry (retries with
the Idempotency-Key, concurrent approvals), rejection with a reason, withdrawal, illegal moves (409 naming the
state), every bad-input class answering 4xx problem+json with nothing written, and the scope matrix."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import date, datetime, timezone
from typing import Any

import asyncpg
import pytest

from libs.auth.principal import Role
from libs.auth.testing import as_principal
from libs.kit.clock import FixedClock
from tests.harness.services import RunningService, TestEnv

from .claims_helpers import JPEG, PDF, PNG, PROBLEM, SHADOWING, counts, files, submit, submitted
from .helpers import ALLIANCE, app_connection, auditor, doctor, office, owner_connection, post, seed

NEW_YEAR = datetime(2025, 1, 2, 2, 0, tzinfo=timezone.utc)


def liaison(unit: str = "U1", alliance: str = ALLIANCE) -> dict[str, str]:
    return as_principal(Role.UNIT_ADMIN, institution_id=unit, alliance_id=alliance, sub=f"liaison-{unit}")


def commission() -> dict[str, str]:
    return as_principal(Role.HEALTH_COMMISSION, region_code="430000", sub="hc")


async def approve(points: RunningService, claim_id: str, headers: dict[str, str] | None = None,
                  key: str | None = None, body: Any = None) -> Any:
    return await post(points.client, f"/claims/{claim_id}/approve", headers or office(), body, key=key)


async def balance(points: RunningService, doctor_id: str = "D1") -> str:
    response = await points.client.get(f"/members/{doctor_id}/balance", headers=office())
    assert response.status_code == 200, response.text
    return str(response.json()["balance"])


async def outbox_types(env: TestEnv) -> list[str]:
    conn = await owner_connection(env)
    try:
        return [r["type"] for r in await conn.fetch("SELECT type FROM outbox ORDER BY position")
                if r["type"].startswith("alliance.points.claim.")]
    finally:
        await conn.close()


@pytest.fixture
async def seeded(points: RunningService) -> RunningService:
    await seed(points, units=("U1", "U2"), doctors={"D1": "U1", "D2": "U1", "D3": "U2"})
    await seed(points, alliance="other", units=("U9",), doctors={"D9": "U9"})
    return points


class TestSubmit:
    async def test_a_doctor_claims_with_evidence_and_sees_the_status(self, seeded: RunningService,
                                                                      env: TestEnv) -> None:
        response = await submit(seeded.client, doctor("D1"), {**SHADOWING, "description": "赴牵头单位跟班学习三周"})
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["location"] == f"/claims/{body['claim_id']}"
        assert (body["status"], body["status_label"], body["points"], body["doctor_id"], body["unit_id"]) == \
            ("submitted", "待审核", "6.0", "D1", "U1")
        assert body["rule_label"].startswith("R01a") and body["scheme_version"] == 1
        assert body["submitted_by"] == "doctor:D1" and body["entry_id"] is None
        [evidence] = body["evidence"]
        assert (evidence["filename"], evidence["content_type"], evidence["size_bytes"], evidence["sha256"]) == \
            ("来函.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest())
        seen = (await seeded.client.get(f"/claims/{body['claim_id']}", headers=doctor("D1"))).json()
        assert seen["status"] == "submitted"
        assert [(t["seq"], t["from_status"], t["to_status"]) for t in seen["transitions"]] == \
            [(1, None, "submitted")]
        assert await outbox_types(env) == ["alliance.points.claim.submitted"]
        assert (await counts(env))["ledger_entries"] == 0  # nothing is awarded before review

    async def test_a_unit_liaison_claims_for_a_doctor_of_the_unit(self, seeded: RunningService) -> None:
        body = await submitted(seeded, liaison("U1"), {**SHADOWING, "doctor_id": "D2"})
        assert (body["doctor_id"], body["unit_id"], body["submitted_by"]) == ("D2", "U1", "unit_admin:liaison-U1")
        other_unit = await submit(seeded.client, liaison("U1"), {**SHADOWING, "doctor_id": "D3"})
        assert other_unit.status_code == 404 and other_unit.json()["errors"][0]["field"] == "doctor_id"
        missing = await submit(seeded.client, liaison("U1"), SHADOWING)
        assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "doctor_id"

    async def test_several_evidence_files_of_each_allowed_type(self, seeded: RunningService) -> None:
        body = await submitted(seeded, doctor("D1"), evidence=files(
            ("a.pdf", PDF, "application/pdf"), ("b.png", PNG, "image/png"), ("c.jpg", JPEG, "image/jpeg")))
        assert [(e["filename"], e["content_type"]) for e in body["evidence"]] == \
            [("a.pdf", "application/pdf"), ("b.png", "image/png"), ("c.jpg", "image/jpeg")]

    async def test_a_doctor_claims_only_for_themself(self, seeded: RunningService) -> None:
        response = await submit(seeded.client, doctor("D1"), {**SHADOWING, "doctor_id": "D2"})
        assert response.status_code == 403

    @pytest.mark.parametrize("role", [Role.ALLIANCE_OFFICE, Role.AUDITOR, Role.HEALTH_COMMISSION])
    async def test_other_roles_cannot_claim(self, seeded: RunningService, env: TestEnv, role: Role) -> None:
        before = await counts(env)
        response = await submit(seeded.client, as_principal(role, alliance_id=ALLIANCE), SHADOWING)
        assert response.status_code == 403 and response.headers["content-type"].startswith(PROBLEM)
        assert await counts(env) == before


class TestSchemeAtSubmission:
    @pytest.mark.parametrize("variant", ["further_study", "short_training"])
    async def test_the_r11_gap_between_3_and_6_months_is_refused_with_the_reason(
            self, seeded: RunningService, env: TestEnv, variant: str) -> None:
        before = await counts(env)
        claim = {"rule": "R11", "variant": variant, "facts": {"duration_months": 4}, "occurred_on": "2024-05-20"}
        response = await submit(seeded.client, doctor("D1"), claim)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["errors"][0]["field"] == "facts.duration_months"
        assert "3至6个月" in problem["detail"]
        assert await counts(env) == before

    async def test_six_months_of_further_study_is_scored(self, seeded: RunningService) -> None:
        body = await submitted(seeded, doctor("D1"), {"rule": "R11", "variant": "further_study",
                                                      "facts": {"duration_months": 6}, "occurred_on": "2024-05-20"})
        assert body["points"] == "10.0" and body["facts"] == {"duration_months": 6}

    async def test_a_rule_granted_from_platform_data_cannot_be_claimed(self, seeded: RunningService) -> None:
        response = await submit(seeded.client, doctor("D1"), {"rule": "R02b", "variant": "inpatient",
                                                             "occurred_on": "2024-05-20"})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "rule_code"

    async def test_a_once_only_award_already_taken_is_refused(self, seeded: RunningService) -> None:
        pairing = {"rule": "R11", "variant": "mentor_pairing", "facts": {"pairing_id": "P1", "year": "2024"},
                   "occurred_on": "2024-05-20"}
        first = await submitted(seeded, doctor("D1"), pairing)
        second = await submitted(seeded, doctor("D1"), pairing)  # both wait for review
        assert (await approve(seeded, first["claim_id"])).status_code == 200
        again = await approve(seeded, second["claim_id"])
        assert again.status_code == 409 and "只能获得一次" in again.json()["detail"]
        third = await submit(seeded.client, doctor("D1"), pairing)
        assert third.status_code == 409 and third.json()["errors"][0]["field"] == "rule_code"
        assert await balance(seeded) == "5.0"


BAD_CLAIMS: list[tuple[str, dict[str, Any], str]] = [
    ("negative quantity", {"quantity": -1}, "quantity"),
    ("zero quantity", {"quantity": 0}, "quantity"),
    ("float quantity", {"quantity": 1.5}, "quantity"),
    ("quantity as text", {"quantity": "3"}, "quantity"),
    ("overflowing quantity", {"quantity": 10**20}, "quantity"),
    ("quantity above the variant's maximum", {"rule": "R11", "variant": "mentor_pairing", "quantity": 2,
                                              "facts": {"pairing_id": "P9", "year": "2024"}}, "quantity"),
    ("unknown rule", {"rule": "R99"}, "rule_code"),
    ("unknown variant", {"variant": "president"}, "variant"),
    ("float fact", {"rule": "R11", "variant": "further_study", "facts": {"duration_months": 6.5}}, "facts"),
    ("missing fact", {"rule": "R11", "variant": "further_study", "facts": {}}, "facts.duration_months"),
    ("mass assignment of the status", {"status": "approved"}, "claim.status"),
    ("mass assignment of points", {"points": 100}, "claim.points"),
    ("mass assignment of the amount", {"amount": "100"}, "claim.amount"),
    ("mass assignment of the scheme version", {"scheme_version": 2}, "claim.scheme_version"),
    ("mass assignment of the entry", {"entry_id": "e1"}, "claim.entry_id"),
    ("missing date", {"occurred_on": None}, "occurred_on"),
    ("date as a timestamp", {"occurred_on": 1716163200}, "occurred_on"),
    ("malformed date", {"occurred_on": "2024/05/20"}, "occurred_on"),
    ("before the scheme", {"occurred_on": "2023-05-01"}, "occurred_on"),
    ("in the future", {"occurred_on": "2030-05-01"}, "occurred_on"),
    ("start after the activity", {"started_on": "2024-06-01"}, "started_on"),
    ("unknown alliance", {"alliance_id": "nowhere"}, "alliance_id"),
    ("another alliance", {"alliance_id": "other"}, "doctor_id"),
    ("bad doctor id", {"doctor_id": "D 1; drop"}, "doctor_id"),
]


class TestBadInput:
    @pytest.mark.parametrize(("case", "change", "field"), BAD_CLAIMS, ids=[c for c, _, _ in BAD_CLAIMS])
    async def test_each_bad_claim_is_a_problem_naming_the_field_with_nothing_written(
            self, seeded: RunningService, env: TestEnv, case: str, change: dict[str, Any], field: str) -> None:
        before = await counts(env)
        claim = {k: v for k, v in {**SHADOWING, **change}.items() if v is not None}
        response = await submit(seeded.client, doctor("D1"), claim)
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert any(field in (e["field"] or "") for e in response.json()["errors"]), response.json()
        assert await counts(env) == before

    async def test_mass_assignment_is_422_extra_forbidden(self, seeded: RunningService) -> None:
        claim = {**SHADOWING, "status": "approved", "points": 100, "amount": "100", "scheme_version": 2}
        response = await submit(seeded.client, doctor("D1"), claim)
        assert response.status_code == 422
        errors = {e["field"]: e["reason"] for e in response.json()["errors"]}
        assert set(errors) == {"claim.status", "claim.points", "claim.amount", "claim.scheme_version"}
        assert all(reason.startswith("不允许的字段") for reason in errors.values())  # pydantic extra_forbidden

    async def test_extra_form_fields_are_refused(self, seeded: RunningService, env: TestEnv) -> None:
        before = await counts(env)
        response = await submit(seeded.client, doctor("D1"), SHADOWING, fields={"status": "approved"})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "status"
        assert response.json()["detail"].startswith("不允许的字段")
        assert await counts(env) == before

    @pytest.mark.parametrize(("raw", "status"), [
        ('{"rule": "R01a", "quantity": 1e400, "occurred_on": "2024-05-20"}', 422),
        ('{"rule": "R01a", "quantity": 3.0000000000000001, "occurred_on": "2024-05-20"}', 422),
        ('{"rule": "R01a", "quantity": NaN, "occurred_on": "2024-05-20"}', 422),
        ('{"rule": "R01a", ', 400),
        ("[]", 422),
        ("", 422),
    ], ids=["1e400", "float-looking-int", "NaN", "truncated", "array", "empty"])
    async def test_garbage_json(self, seeded: RunningService, env: TestEnv, raw: str, status: int) -> None:
        before = await counts(env)
        response = await submit(seeded.client, doctor("D1"), raw)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert await counts(env) == before

    async def test_an_unknown_member_is_refused(self, seeded: RunningService, env: TestEnv) -> None:
        before = await counts(env)
        as_unknown = await submit(seeded.client, doctor("D404"), SHADOWING)
        assert as_unknown.status_code == 422 and as_unknown.json()["errors"][0]["field"] == "doctor_id"
        for_unknown = await submit(seeded.client, liaison("U1"), {**SHADOWING, "doctor_id": "D404"})
        assert for_unknown.status_code == 404
        assert await counts(env) == before

    async def test_a_doctor_whose_unit_is_not_a_member_then_is_refused(self, seeded: RunningService,
                                                                     env: TestEnv) -> None:
        await seed(seeded, units=("U5",), doctors={"D5": "U5"}, on=date(2024, 6, 1))
        before = await counts(env)
        response = await submit(seeded.client, doctor("D9"), SHADOWING)  # U9 belongs to another alliance
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "doctor_id"
        before_joining = await submit(seeded.client, doctor("D5"), SHADOWING)  # activity before U5 joined
        assert before_joining.status_code == 422 and before_joining.json()["errors"][0]["field"] == "doctor_id"
        assert await counts(env) == before
        assert (await submit(seeded.client, doctor("D5"), {**SHADOWING, "occurred_on": "2024-06-01"})
                ).status_code == 201

    async def test_an_alliance_not_in_operation_does_not_award(self, points: RunningService, env: TestEnv) -> None:
        await seed(points, operating=False)
        before = await counts(env)
        response = await submit(points.client, doctor("D1"), SHADOWING)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "alliance_id"
        assert await counts(env) == before

    async def test_a_date_in_a_closed_year_is_refused(self, seeded: RunningService, env: TestEnv) -> None:
        clock = seeded.runtime.clock
        assert isinstance(clock, FixedClock)
        clock.set(NEW_YEAR)
        closed = await post(seeded.client, f"/years/2024/close?alliance_id={ALLIANCE}", office())
        assert closed.status_code == 201, closed.text
        before = await counts(env)
        response = await submit(seeded.client, doctor("D1"), SHADOWING)
        assert response.status_code == 409 and response.json()["errors"][0]["field"] == "occurred_on"
        assert "已封账" in response.json()["detail"]
        assert await counts(env) == before
        assert (await submit(seeded.client, doctor("D1"), {**SHADOWING, "occurred_on": "2025-01-01"})
                ).status_code == 201

    async def test_same_key_with_another_body_is_refused(self, seeded: RunningService, env: TestEnv) -> None:
        assert (await submit(seeded.client, doctor("D1"), SHADOWING, key="k-claim")).status_code == 201
        before = await counts(env)
        other = await submit(seeded.client, doctor("D1"), {**SHADOWING, "quantity": 4}, key="k-claim")
        assert other.status_code == 422 and other.json()["errors"][0]["field"] == "header.Idempotency-Key"
        assert await counts(env) == before

    async def test_a_retry_with_the_same_key_and_bytes_replays(self, seeded: RunningService, env: TestEnv) -> None:
        first = await submit(seeded.client, doctor("D1"), key="k-retry", boundary="fixed-boundary-1")
        again = await submit(seeded.client, doctor("D1"), key="k-retry", boundary="fixed-boundary-1")
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        assert (await counts(env))["claims"] == 1

    async def test_missing_idempotency_key_is_400(self, seeded: RunningService) -> None:
        response = await seeded.client.post("/claims", headers=doctor("D1"), data={"claim": json.dumps(SHADOWING)},
                                            files=files(("a.pdf", PDF, "application/pdf")))
        assert response.status_code == 400


BAD_EVIDENCE: list[tuple[str, list[tuple[str, tuple[str, bytes, str]]], int]] = [
    ("no file", [], 422),
    ("not an allowed type", files(("a.txt", b"hello", "text/plain")), 415),
    ("a renamed file", files(("a.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")), 415),
    ("png declared as pdf", files(("a.pdf", PNG, "application/pdf")), 415),
    ("empty file", files(("a.pdf", b"", "application/pdf")), 422),
    ("above 10 MB", files(("big.pdf", PDF + b"0" * (10 * 1_048_576), "application/pdf")), 413),
    ("too many files", files(*[(f"{i}.pdf", PDF, "application/pdf") for i in range(11)]), 400),
]


class TestEvidence:
    async def test_checksums_round_trip_and_downloads_stream(self, seeded: RunningService) -> None:
        big = PDF + bytes(range(256)) * 2048  # > one 256 KiB chunk
        sent = {"a.pdf": big, "b.png": PNG, "c.jpg": JPEG}
        body = await submitted(seeded, doctor("D1"), evidence=files(
            ("a.pdf", big, "application/pdf"), ("b.png", PNG, "image/png"), ("c.jpg", JPEG, "image/jpeg")))
        for item in body["evidence"]:
            response = await seeded.client.get(item["url"], headers=doctor("D1"))
            assert response.status_code == 200
            data = sent[item["filename"]]
            assert response.content == data
            assert hashlib.sha256(response.content).hexdigest() == item["sha256"]
            assert response.headers["etag"] == f'"{item["sha256"]}"'
            assert response.headers["content-type"] == item["content_type"]
            assert response.headers["content-length"] == str(len(data))
            assert "attachment" in response.headers["content-disposition"]
            cached = await seeded.client.get(item["url"], headers={**doctor("D1"),
                                                                   "If-None-Match": response.headers["etag"]})
            assert cached.status_code == 304 and cached.content == b""

    async def test_stored_bytes_match_their_checksum(self, seeded: RunningService, env: TestEnv) -> None:
        await submitted(seeded, doctor("D1"))
        conn = await owner_connection(env)
        try:
            rows = await conn.fetch("SELECT content, sha256, size_bytes FROM claim_evidence")
        finally:
            await conn.close()
        assert [(hashlib.sha256(r["content"]).hexdigest(), r["size_bytes"]) for r in rows] == \
            [(r["sha256"], len(PDF)) for r in rows]

    @pytest.mark.parametrize(("case", "evidence", "status"), BAD_EVIDENCE, ids=[c for c, _, _ in BAD_EVIDENCE])
    async def test_bad_evidence_is_refused_with_nothing_written(self, seeded: RunningService, env: TestEnv,
                                                                case: str, evidence: Any, status: int) -> None:
        before = await counts(env)
        response = await submit(seeded.client, doctor("D1"), SHADOWING, evidence)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert await counts(env) == before

    async def test_evidence_of_another_claim_is_not_found(self, seeded: RunningService) -> None:
        first = await submitted(seeded, doctor("D1"))
        second = await submitted(seeded, doctor("D1"))
        evidence_id = first["evidence"][0]["evidence_id"]
        response = await seeded.client.get(f"/claims/{second['claim_id']}/evidence/{evidence_id}",
                                           headers=doctor("D1"))
        assert response.status_code == 404


class TestReview:
    async def test_approval_appends_the_award_in_the_same_transaction(self, seeded: RunningService,
                                                                      env: TestEnv) -> None:
        claim = await submitted(seeded, doctor("D1"))
        response = await approve(seeded, claim["claim_id"], body={"memo": "来函已核实"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["reviewed_by"], body["reason"]) == \
            ("approved", f"alliance_office:office-{ALLIANCE}", "来函已核实")
        entry = body["entry"]
        assert (entry["entry_type"], entry["amount"], entry["rule_code"], entry["unit_id"]) == \
            ("award", "6.0", "R01a", "U1")
        assert entry["source_event_id"] == f"claim:{claim['claim_id']}" and body["entry_id"] == entry["entry_id"]
        assert entry["business_date"] == "2024-05-20"
        assert await balance(seeded) == "6.0"
        seen = (await seeded.client.get(f"/claims/{claim['claim_id']}", headers=doctor("D1"))).json()
        assert seen["status"] == "approved" and seen["entry_id"] == entry["entry_id"]
        assert [t["to_status"] for t in seen["transitions"]] == ["submitted", "approved"]
        assert await outbox_types(env) == ["alliance.points.claim.submitted", "alliance.points.claim.approved"]

    async def test_a_retried_approval_replays_and_records_one_entry(self, seeded: RunningService,
                                                                    env: TestEnv) -> None:
        claim = await submitted(seeded, doctor("D1"))
        first = await approve(seeded, claim["claim_id"], key="approve-1")
        again = await approve(seeded, claim["claim_id"], key="approve-1")
        assert first.status_code == again.status_code == 200
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        other_key = await approve(seeded, claim["claim_id"], key="approve-2")
        assert other_key.status_code == 409
        assert other_key.json()["current_status"] == "approved" and "已通过" in other_key.json()["detail"]
        assert (await counts(env))["ledger_entries"] == 1 and await balance(seeded) == "6.0"

    @pytest.mark.parametrize("same_key", [False, True])
    async def test_concurrent_approvals_record_one_entry(self, seeded: RunningService, env: TestEnv,
                                                         same_key: bool) -> None:
        claim = await submitted(seeded, doctor("D1"))
        responses = await asyncio.gather(*[
            approve(seeded, claim["claim_id"], key="same" if same_key else f"k{i}") for i in range(6)])
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {200, 409}, [r.text for r in responses]
        if not same_key:
            assert statuses.count(200) == 1  # the others waited on the claim row and found it approved
        entries = {r.json()["entry"]["entry_id"] for r in responses if r.status_code == 200}
        assert len(entries) == 1
        conn = await owner_connection(env)
        try:
            recorded = await conn.fetchval("SELECT count(*) FROM ledger_entries WHERE source_event_id = $1",
                                           f"claim:{claim['claim_id']}")
            transitions = await conn.fetchval("SELECT count(*) FROM claim_transitions WHERE claim_id = $1",
                                              claim["claim_id"])
        finally:
            await conn.close()
        assert (recorded, transitions) == (1, 2)
        assert await balance(seeded) == "6.0"

    async def test_rejection_carries_the_reason_to_the_claimant(self, seeded: RunningService,
                                                                env: TestEnv) -> None:
        claim = await submitted(seeded, doctor("D1"))
        path = f"/claims/{claim['claim_id']}/reject"
        assert (await post(seeded.client, path, office(), {})).status_code == 422
        assert (await post(seeded.client, path, office(), {"reason": "   "})).status_code == 422
        forged = await post(seeded.client, path, office(), {"reason": "x", "status": "approved"})
        assert forged.status_code == 422 and forged.json()["errors"][0]["field"] == "body.status"
        response = await post(seeded.client, path, office(), {"reason": "缺少牵头单位来函"})
        assert response.status_code == 200, response.text
        seen = (await seeded.client.get(f"/claims/{claim['claim_id']}", headers=doctor("D1"))).json()
        assert (seen["status"], seen["status_label"], seen["reason"]) == ("rejected", "未通过", "缺少牵头单位来函")
        late = await approve(seeded, claim["claim_id"])
        assert late.status_code == 409 and late.json()["current_status"] == "rejected"
        assert "未通过" in late.json()["detail"]
        assert (await counts(env))["ledger_entries"] == 0
        assert await outbox_types(env) == ["alliance.points.claim.submitted", "alliance.points.claim.rejected"]

    async def test_the_claimant_withdraws_while_it_waits(self, seeded: RunningService) -> None:
        claim = await submitted(seeded, liaison("U1"), {**SHADOWING, "doctor_id": "D2"})
        path = f"/claims/{claim['claim_id']}/withdraw"
        assert (await post(seeded.client, path, office(), None)).status_code == 403
        assert (await post(seeded.client, path, doctor("D1"), None)).status_code == 404
        assert (await post(seeded.client, path, liaison("U2"), None)).status_code == 404
        response = await post(seeded.client, path, liaison("U1"), {"reason": "材料有误，重新提交"})
        assert response.status_code == 200 and response.json()["status"] == "withdrawn"
        again = await post(seeded.client, path, liaison("U1"), None)
        assert again.status_code == 409 and again.json()["current_status"] == "withdrawn"
        late = await approve(seeded, claim["claim_id"])
        assert late.status_code == 409 and "已撤回" in late.json()["detail"]

    async def test_the_beneficiary_doctor_may_withdraw_too(self, seeded: RunningService) -> None:
        claim = await submitted(seeded, liaison("U1"), {**SHADOWING, "doctor_id": "D2"})
        response = await post(seeded.client, f"/claims/{claim['claim_id']}/withdraw", doctor("D2"), None)
        assert response.status_code == 200

    async def test_approval_is_scored_again_and_refused_in_a_closed_year(self, seeded: RunningService,
                                                                         env: TestEnv) -> None:
        claim = await submitted(seeded, doctor("D1"))
        clock = seeded.runtime.clock
        assert isinstance(clock, FixedClock)
        clock.set(NEW_YEAR)
        assert (await post(seeded.client, f"/years/2024/close?alliance_id={ALLIANCE}", office())).status_code == 201
        response = await approve(seeded, claim["claim_id"])
        assert response.status_code == 409 and response.json()["errors"][0]["field"] == "occurred_on"
        seen = (await seeded.client.get(f"/claims/{claim['claim_id']}", headers=doctor("D1"))).json()
        assert seen["status"] == "submitted" and (await counts(env))["ledger_entries"] == 0
        rejected = await post(seeded.client, f"/claims/{claim['claim_id']}/reject", office(),
                              {"reason": "2024年度已封账"})
        assert rejected.status_code == 200

    @pytest.mark.parametrize("who", ["doctor", "liaison", "auditor"])
    async def test_only_the_office_reviews(self, seeded: RunningService, who: str) -> None:
        headers = {"doctor": doctor("D1"), "liaison": liaison("U1"), "auditor": auditor()}[who]
        claim = await submitted(seeded, doctor("D1"))
        assert (await approve(seeded, claim["claim_id"], headers)).status_code == 403
        assert (await post(seeded.client, f"/claims/{claim['claim_id']}/reject", headers,
                           {"reason": "x"})).status_code == 403

    async def test_another_alliances_office_does_not_see_the_claim(self, seeded: RunningService) -> None:
        claim = await submitted(seeded, doctor("D1"))
        assert (await approve(seeded, claim["claim_id"], office("other"))).status_code == 404
        assert (await post(seeded.client, f"/claims/{claim['claim_id']}/reject", office("other"),
                           {"reason": "x"})).status_code == 404
        assert (await approve(seeded, "clm_missing")).status_code == 404

    async def test_approval_body_is_closed_to_mass_assignment(self, seeded: RunningService, env: TestEnv) -> None:
        claim = await submitted(seeded, doctor("D1"))
        before = await counts(env)
        for forged in ({"points": 100}, {"amount": "100"}, {"status": "approved"}, {"scheme_version": 2}):
            response = await approve(seeded, claim["claim_id"], body=forged)
            assert response.status_code == 422, response.text
            assert response.json()["errors"][0]["reason"].startswith("不允许的字段")
        assert await counts(env) == before


class TestScope:
    @pytest.fixture
    async def three(self, seeded: RunningService) -> dict[str, str]:
        mine = await submitted(seeded, doctor("D1"))
        for_d2 = await submitted(seeded, liaison("U1"), {**SHADOWING, "doctor_id": "D2"})
        other_unit = await submitted(seeded, doctor("D3"))
        return {"D1": mine["claim_id"], "D2": for_d2["claim_id"], "D3": other_unit["claim_id"]}

    async def listed(self, points: RunningService, headers: dict[str, str], **params: Any) -> set[str]:
        response = await points.client.get("/claims", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return {item["claim_id"] for item in response.json()["items"]}

    async def test_lists_are_scoped(self, seeded: RunningService, three: dict[str, str]) -> None:
        assert await self.listed(seeded, doctor("D1")) == {three["D1"]}
        assert await self.listed(seeded, doctor("D2")) == {three["D2"]}
        assert await self.listed(seeded, liaison("U1")) == {three["D1"], three["D2"]}
        assert await self.listed(seeded, liaison("U2")) == {three["D3"]}
        assert await self.listed(seeded, office()) == set(three.values())
        assert await self.listed(seeded, office("other")) == set()
        assert await self.listed(seeded, auditor()) == set(three.values())
        assert (await seeded.client.get("/claims", headers=commission())).status_code == 403

    async def test_filters_and_pages(self, seeded: RunningService, three: dict[str, str]) -> None:
        assert (await approve(seeded, three["D1"])).status_code == 200
        assert await self.listed(seeded, office(), status="approved") == {three["D1"]}
        assert await self.listed(seeded, office(), status="submitted") == {three["D2"], three["D3"]}
        assert await self.listed(seeded, office(), doctor_id="D3") == {three["D3"]}
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 1} | ({"cursor": cursor} if cursor else {})
            page = (await seeded.client.get("/claims", headers=office(), params=params)).json()
            seen += [item["claim_id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(three.values()) and len(seen) == 3
        assert (await seeded.client.get("/claims", headers=office(), params={"status": "paid"})).status_code == 422

    @pytest.mark.parametrize(("who", "expected"), [
        ("own doctor", 200), ("own unit liaison", 200), ("own office", 200), ("auditor", 200),
        ("other doctor", 404), ("other unit liaison", 404), ("other office", 404), ("commission", 403),
    ])
    async def test_detail_and_evidence_scope(self, seeded: RunningService, three: dict[str, str], who: str,
                                             expected: int) -> None:
        headers = {"own doctor": doctor("D1"), "own unit liaison": liaison("U1"), "own office": office(),
                   "auditor": auditor(), "other doctor": doctor("D3"), "other unit liaison": liaison("U2"),
                   "other office": office("other"), "commission": commission()}[who]
        detail = await seeded.client.get(f"/claims/{three['D1']}", headers=headers)
        assert detail.status_code == expected, detail.text
        evidence = (await seeded.client.get(f"/claims/{three['D1']}", headers=office())).json()["evidence"][0]
        download = await seeded.client.get(evidence["url"], headers=headers)
        assert download.status_code == expected
        if expected == 404:
            assert detail.json()["errors"][0]["field"] == "claim_id"


class TestEvidenceIsAppendOnly:
    @pytest.mark.parametrize("statement", ["UPDATE claim_evidence SET sha256 = repeat('0', 64)",
                                           "DELETE FROM claim_evidence", "UPDATE claim_transitions SET reason = 'x'",
                                           "DELETE FROM claim_transitions"])
    async def test_evidence_and_history_cannot_be_changed_even_by_the_owner(
            self, seeded: RunningService, env: TestEnv, statement: str) -> None:
        await submitted(seeded, doctor("D1"))
        for connect in (app_connection, owner_connection):
            conn = await connect(env)
            try:
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(statement)
            finally:
                await conn.close()

    async def test_the_app_role_may_not_delete_claims(self, seeded: RunningService, env: TestEnv) -> None:
        await submitted(seeded, doctor("D1"))
        conn = await app_connection(env)
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("DELETE FROM claims")
        finally:
            await conn.close()
