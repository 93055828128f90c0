"""BOLA / function-level authorization through the gateway, on the main objects of every service.

Two real alliances (湖南省儿科专科联盟 and 海口市神经外科专科联盟) with doctors, points, a claim with evidence,
a held redemption and an evaluation period. Every caller outside an object's scope is refused: 404 for an
object outside one's scope (no existence leak), 403 for a function one's role never has, 401 for a person's
token on a machine route — always problem+json with no object data in it. Afterwards nothing has changed.

Rows: (who, method, path, body, expected status). Paths use {a} 湖南 alliance, {d} the Hunan doctor 吴佳,
{m0}/{m1} her unit / another Hunan unit, {claim}, {evidence}, {entry}, {redemption}, {period}, {year}.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from libs.auth.principal import Role
from libs.kit.clock import business_date
from tests.e2e.stack import Stack
from tests.e2e.world import (
    Alliance,
    add_doctor,
    evaluation_knows_alliance,
    haikou,
    hunan,
    points_knows_alliance,
    points_knows_doctor,
    refused,
    this_year,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NAME = "吴佳"
DESCRIPTION = "赴省儿童医院跟班学习两周（机密描述）"

Row = tuple[str, str, str, dict[str, Any] | None, int]
MATRIX: list[Row] = [
    # a doctor of the same alliance, another unit: her colleague's balance, statement, claims, redemption
    ("other_doctor", "GET", "/points/members/{d}/balance", None, 404),
    ("other_doctor", "GET", "/points/members/{d}/entries", None, 404),
    ("other_doctor", "GET", "/points/members/{d}/statement.csv", None, 404),
    ("other_doctor", "GET", "/points/claims/{claim}", None, 404),
    ("other_doctor", "GET", "/points/claims/{claim}/evidence/{evidence}", None, 404),
    ("other_doctor", "POST", "/points/claims/{claim}/withdraw", {}, 404),
    ("other_doctor", "GET", "/points/redemptions/{redemption}", None, 404),
    ("other_doctor", "POST", "/points/redemptions/{redemption}/void", {}, 404),
    ("other_doctor", "POST", "/points/redemptions/{redemption}/confirm", None, 403),
    ("other_doctor", "POST", "/points/awards/direct", {"rule": "R16", "variant": "director", "doctor_id": "{d}",
                                                      "facts": {"year": "x"}}, 403),
    # a unit admin of another Hunan unit: not her doctors
    ("other_unit_admin", "GET", "/points/members/{d}/balance", None, 404),
    ("other_unit_admin", "GET", "/points/members/{d}/entries", None, 404),
    ("other_unit_admin", "GET", "/points/claims/{claim}", None, 404),
    ("other_unit_admin", "GET", "/registry/doctors/{d}", None, 404),
    ("other_unit_admin", "POST", "/registry/doctors/{d}/moves", {"to_institution_id": "{m1}", "on": "{today}"}, 404),
    ("other_unit_admin", "POST", "/auth/wechat/bind-codes", {"doctor_id": "{d}", "institution_id": "{m0}"}, 403),
    # a unit admin in the other alliance: not Hunan's collective data
    ("haikou_unit_admin", "GET", "/points/leaderboards/collective?alliance_id={a}&year={year}", None, 404),
    ("haikou_unit_admin", "GET", "/points/leaderboards/individual?alliance_id={a}", None, 404),
    ("haikou_unit_admin", "GET", "/points/catalog?alliance_id={a}", None, 404),
    ("haikou_unit_admin", "GET", "/evaluation/periods/{period}/statistics", None, 404),
    ("haikou_unit_admin", "GET", "/registry/alliances/{a}/members", None, 404),
    # the office of the other alliance
    ("haikou_office", "GET", "/points/members/{d}/balance", None, 404),
    ("haikou_office", "POST", "/points/adjustments", {"doctor_id": "{d}", "amount": "100", "reason": "x"}, 404),
    ("haikou_office", "POST", "/points/entries/{entry}/reversals", {"reason": "x"}, 404),
    ("haikou_office", "POST", "/points/redemptions/{redemption}/confirm", None, 404),
    ("haikou_office", "GET", "/points/claims/{claim}", None, 404),
    ("haikou_office", "POST", "/points/claims/{claim}/approve", {}, 404),
    ("haikou_office", "GET", "/points/leaderboards/collective?alliance_id={a}", None, 404),
    ("haikou_office", "GET", "/points/audit/reconcile?alliance_id={a}", None, 404),
    ("haikou_office", "GET", "/evaluation/periods/{period}/inputs", None, 404),
    ("haikou_office", "POST", "/evaluation/alliances/{a}/periods", {"year": "{year}", "framework_id": "haikou-2021",
                                                                    "statistics_due": "{today}"}, 404),
    ("haikou_office", "GET", "/registry/alliances/{a}/members", None, 404),
    ("haikou_office", "POST", "/auth/wechat/bind-codes", {"doctor_id": "{d}", "alliance_id": "{a}"}, 403),
    # the health commission of another region (海口 460100) and Hunan (430000)
    ("haikou_commission", "GET", "/points/leaderboards/collective?alliance_id={a}", None, 404),
    ("haikou_commission", "GET", "/evaluation/alliances/{a}/periods", None, 404),
    ("haikou_commission", "GET", "/evaluation/periods/{period}/inputs", None, 404),
    ("haikou_commission", "GET", "/registry/alliances/{a}", None, 404),
    ("haikou_commission", "GET", "/points/members/{d}/balance", None, 403),
    # the auditor reads everything and writes nothing
    ("auditor", "POST", "/points/awards/direct", {"rule": "R16", "variant": "director", "doctor_id": "{d}",
                                                 "facts": {"year": "x"}}, 403),
    ("auditor", "POST", "/points/adjustments", {"doctor_id": "{d}", "amount": "100", "reason": "x"}, 403),
    ("auditor", "POST", "/points/entries/{entry}/reversals", {"reason": "x"}, 403),
    ("auditor", "POST", "/points/claims/{claim}/approve", {}, 403),
    ("auditor", "POST", "/points/redemptions/{redemption}/confirm", None, 403),
    ("auditor", "POST", "/evaluation/alliances/{a}/periods", {"year": "{year}", "framework_id": "haikou-2021",
                                                              "statistics_due": "{today}"}, 403),
    ("auditor", "POST", "/registry/doctors/{d}/moves", {"to_institution_id": "{m1}", "on": "{today}"}, 403),
    ("auditor", "POST", "/auth/wechat/bind-codes", {"doctor_id": "{d}"}, 403),
    # an integration (machine) token on people's routes
    ("integration", "GET", "/points/members/{d}/balance", None, 403),
    ("integration", "GET", "/points/leaderboards/collective?alliance_id={a}", None, 403),
    ("integration", "POST", "/points/awards/direct", {"rule": "R16", "variant": "director", "doctor_id": "{d}",
                                                     "facts": {"year": "x"}}, 403),
    ("integration", "GET", "/registry/doctors/{d}", None, 403),
    ("integration", "GET", "/referral/webhooks/quarantine", None, 403),
    ("integration", "GET", "/evaluation/periods/{period}/inputs", None, 403),
    # and the reverse: a person's token on a machine route; no token at all
    ("doctor", "GET", "/points/integration/status", None, 401),
    ("nobody", "GET", "/points/members/{d}/balance", None, 401),
]


def fill(value: Any, names: dict[str, str]) -> Any:
    if value == "{year}":
        return int(names["year"])
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    return value


async def test_every_caller_outside_the_scope_is_refused_without_data(stack: Stack) -> None:
    hn, hk = await hunan(stack), await haikou(stack)
    wu = await add_doctor(stack, hn, "wu", institution_id=hn.member_id(0), name=NAME)
    peer = await add_doctor(stack, hn, "peer", institution_id=hn.member_id(1), name="郑磊")
    await add_doctor(stack, hk, "hk", institution_id=hk.member_id(0), name="海口医生")
    for alliance, doctor in ((hn, wu), (hn, peer), (hk, hk.doctors["hk"])):
        await points_knows_doctor(stack, alliance, doctor)
    await points_knows_alliance(stack, hk)
    await evaluation_knows_alliance(stack, hn)
    today, year = business_date(stack.now()), this_year(stack)
    names = await hunan_objects(stack, hn, wu, today, year)

    callers: dict[str, dict[str, str]] = {
        "other_doctor": hn.doctor("peer"),
        "other_unit_admin": hn.unit_admin(hn.member_id(1)),
        "haikou_unit_admin": hk.unit_admin(hk.member_id(0)),
        "haikou_office": hk.office(),
        "haikou_commission": hk.commission(),
        "auditor": Stack.as_(Role.AUDITOR, sub="auditor-1"),
        "integration": Stack.as_(Role.INTEGRATION, sub="hotline-85356855"),
        "doctor": hn.doctor("wu"),
        "nobody": {},
    }
    before = await snapshot(stack, hn, names)
    leaks = (NAME, DESCRIPTION, before["balance"])
    wrong = []
    for index, (who, method, template, body, expected) in enumerate(MATRIX):
        path = "/api/v1" + fill(template, names)
        headers = {**callers[who], "Idempotency-Key": f"bola-{index}"}
        response = await stack.client.request(method, path, headers=headers,
                                              json=fill(body, names) if body is not None else None)
        try:
            refused(response, expected, leaks=leaks)
        except AssertionError as exc:
            wrong.append((who, method, template, expected, response.status_code, str(exc)[:300]))
    assert not wrong, "\n".join(map(str, wrong))

    # Lists are filtered, not refused: nothing of 吴佳 in another doctor's or another unit's view.
    for who in ("other_doctor", "other_unit_admin"):
        listed = await stack.get("/points/claims", callers[who], params={"doctor_id": wu["id"]})
        assert listed.status_code == 200 and listed.json()["items"] == [], listed.text
    hidden = await stack.get("/registry/doctors", callers["other_unit_admin"],
                             params={"institution_id": hn.member_id(0)})
    assert wu["id"] not in hidden.text and NAME not in hidden.text

    # … and every refused write left the objects as they were.
    assert await snapshot(stack, hn, names) == before

    # The gateway's security audit holds the refusals: its own (a machine token on people's routes) and the
    # services' 401/403 answers passed through it.
    await stack.gateway.state.gateway.audit.flush()
    audited = await stack.sql("SELECT event, reason, subject, status FROM gateway.security_audit "
                              "WHERE result = 'denied'")
    machine = [r for r in audited if r["reason"] == "integration_on_user_route"]
    assert len(machine) == sum(1 for row in MATRIX if row[0] == "integration")
    service_403 = {(r["subject"], r["status"]) for r in audited if r["event"] == "authz.service"}
    peer_sub = "wx-" + hn.doctors["peer"]["id"][:8]  # the subject of hn.doctor("peer")
    assert {("auditor-1", 403), (peer_sub, 403)} <= service_403


async def hunan_objects(stack: Stack, hn: Alliance, wu: dict[str, Any], today: Any, year: int) -> dict[str, str]:
    """Her points (an award, a carried-over adjustment), a claim with evidence, a held redemption; a period."""
    office, me = hn.office(), hn.doctor("wu")

    async def created(response: Any) -> dict[str, Any]:
        assert response.status_code == 201, response.text
        return dict(response.json())

    award = await created(await stack.post("/points/awards/direct", office, json={
        "rule": "R16", "variant": "director", "doctor_id": wu["id"], "facts": {"year": str(year)}}))
    await created(await stack.post("/points/adjustments", office, json={
        "doctor_id": wu["id"], "amount": "100", "reason": "线下台账迁入"}))
    item = await created(await stack.post("/points/catalog", office, json={
        "name": "儿科专著一册", "tier": 100, "stock": 5, "valid_from": today.isoformat(),
        "valid_to": (today + timedelta(days=30)).isoformat()}))
    redemption = await created(await stack.post("/points/redemptions", me, json={"item_id": item["item_id"]}))
    claim = await created(await stack.post("/points/claims", me, data={"claim": json.dumps({
        "rule": "R01a", "variant": "shadowing", "quantity": 2, "occurred_on": (today - timedelta(days=2)).isoformat(),
        "description": DESCRIPTION}, ensure_ascii=False)}, files=[("evidence", ("证明.pdf", PDF, "application/pdf"))]))
    period = await created(await stack.post(f"/evaluation/alliances/{hn.id}/periods", office, json={
        "year": year, "framework_id": "hunan-alliance-2024",
        "statistics_due": (today + timedelta(days=30)).isoformat()}))
    return {"a": hn.id, "d": wu["id"], "m0": hn.member_id(0), "m1": hn.member_id(1), "claim": claim["claim_id"],
            "evidence": claim["evidence"][0]["evidence_id"], "entry": award["entry_id"],
            "redemption": redemption["redemption_id"], "period": period["period_id"], "year": str(year),
            "today": today.isoformat()}


async def snapshot(stack: Stack, hn: Alliance, names: dict[str, str]) -> dict[str, Any]:
    me = hn.doctor("wu")
    balance = (await stack.get(f"/points/members/{names['d']}/balance", me)).json()
    entries = (await stack.get(f"/points/members/{names['d']}/entries", me)).json()["items"]
    claim = (await stack.get(f"/points/claims/{names['claim']}", me)).json()
    redemption = (await stack.get(f"/points/redemptions/{names['redemption']}", me)).json()
    doctor = (await stack.get(f"/registry/doctors/{names['d']}", hn.unit_admin(names["m0"]))).json()
    periods = (await stack.get(f"/evaluation/alliances/{names['a']}/periods", hn.office())).json()
    return {"balance": balance["balance"], "pending": balance["pending"], "entries": len(entries),
            "claim": claim["status"], "redemption": redemption["state"], "unit": doctor["institution_id"],
            "periods": len(periods)}
