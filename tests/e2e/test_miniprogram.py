"""Journey 1 — the doctors' club in the WeChat mini-program (issue 7), through the gateway only.

A member unit's admin issues a one-time bind code; the doctor binds her WeChat account (fake ``code2session``:
the same ``wx.login()`` code gives the same openid) and from then on logs in with WeChat alone. With that token
she sees her balance and her rank, submits a 积分申报 (claim) with an evidence PDF, the alliance office approves
it (the award is computed by the scheme and appended to the ledger), awards and carries over points, and puts a
500-point health-checkup package in the catalog. She redeems it (the points are held; a network retry with the
same Idempotency-Key holds nothing more), the office confirms the hand-over, and her balance, rank and
statement (积分明细) show every step: claim award → direct award → adjustment → hold → confirm.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from typing import Any

from libs.kit.clock import business_date
from tests.e2e.stack import Stack
from tests.e2e.world import Alliance, add_doctor, hunan, points_knows_doctor, refused, this_year

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n% " + "跟班学习证明".encode() + b"\ntrailer<<>>\n%%EOF\n"
WX_CODE = "wx-login-code-wang-0001"  # what wx.login() gives her phone (the fake maps it to one openid)


async def wechat(stack: Stack, route: str, body: dict[str, Any]) -> Any:
    return await stack.client.post(f"/api/v1/auth/wechat/{route}", json=body)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def board(stack: Stack, who: dict[str, str], alliance: Alliance, year: int) -> list[tuple[int, str, str]]:
    response = await stack.get("/points/leaderboards/individual", who, params={"alliance_id": alliance.id,
                                                                                "year": year})
    assert response.status_code == 200, response.text
    return [(s["rank"], s["id"], s["points"]) for s in response.json()["items"]]


async def balance(stack: Stack, who: dict[str, str], doctor_id: str) -> dict[str, Any]:
    response = await stack.get(f"/points/members/{doctor_id}/balance", who)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_doctor_binds_claims_and_redeems_a_checkup_in_the_mini_program(stack: Stack) -> None:
    alliance = await hunan(stack)
    unit = alliance.member_id(0)  # 株洲市妇幼保健院
    wang = await add_doctor(stack, alliance, "wang", institution_id=unit, name="王晓丽")
    colleague = await add_doctor(stack, alliance, "chen", institution_id=alliance.lead_id, name="陈建国")
    await points_knows_doctor(stack, alliance, wang)
    await points_knows_doctor(stack, alliance, colleague)
    office = alliance.office()
    year = this_year(stack)
    today = business_date(stack.now())

    # ---- WeChat binding: the unit admin issues the code, the doctor binds once, then logs in with WeChat ----
    assert (await wechat(stack, "login", {"code": WX_CODE})).json()["code"] == "wechat_not_bound"
    issued = await stack.client.post("/api/v1/auth/wechat/bind-codes", headers=alliance.unit_admin(unit),
                                     json={"doctor_id": wang["id"]})
    assert issued.status_code == 201, issued.text
    bound = await wechat(stack, "bind", {"code": WX_CODE, "doctor_id": wang["id"],
                                         "bind_code": issued.json()["bind_code"]})
    assert bound.status_code == 200 and bound.json()["doctor_id"] == wang["id"], bound.text
    reused = await wechat(stack, "bind", {"code": "wx-someone-else", "doctor_id": wang["id"],
                                          "bind_code": issued.json()["bind_code"]})
    assert reused.status_code == 401 and reused.json()["code"] == "bind_code_invalid"  # one-time
    login = await wechat(stack, "login", {"code": WX_CODE})
    assert login.status_code == 200, login.text
    me = bearer(login.json()["access_token"])

    # ---- first look: nothing yet; the colleague leads the board ----------------------------------------------
    assert await balance(stack, me, wang["id"]) == {"doctor_id": wang["id"], "balance": "0.0", "pending": "0.0",
                                                    "as_of": None}
    r16 = await stack.post("/points/awards/direct", office, json={
        "rule": "R16", "variant": "director", "doctor_id": colleague["id"], "facts": {"year": str(year)}})
    assert r16.status_code == 201, r16.text
    assert await board(stack, me, alliance, year) == [(1, colleague["id"], "50.0")]

    # ---- a claim with evidence: R01a 跟班学习, 3 weeks × 2 points -----------------------------------------------
    claim = {"rule": "R01a", "variant": "shadowing", "quantity": 3,
             "occurred_on": (today - timedelta(days=1)).isoformat(), "description": "赴湖南省儿童医院跟班学习三周"}
    submitted = await stack.post("/points/claims", me, data={"claim": json.dumps(claim, ensure_ascii=False)},
                                 files=[("evidence", ("跟班学习证明.pdf", PDF, "application/pdf"))])
    assert submitted.status_code == 201, submitted.text
    mine = submitted.json()
    assert (mine["status"], mine["points"], mine["doctor_id"], mine["unit_id"]) == ("submitted", "6.0", wang["id"],
                                                                                     unit)
    located = await stack.client.get(submitted.headers["location"], headers=me)  # the gateway's path
    assert located.status_code == 200 and located.json()["claim_id"] == mine["claim_id"], located.text
    [evidence] = mine["evidence"]
    assert evidence["sha256"] == hashlib.sha256(PDF).hexdigest()
    waiting = await stack.get("/points/claims", office, params={"status": "submitted"})
    assert [c["claim_id"] for c in waiting.json()["items"]] == [mine["claim_id"]]
    download = await stack.get(f"/points{evidence['url']}", office)
    assert download.status_code == 200 and download.content == PDF
    assert (await balance(stack, me, wang["id"]))["balance"] == "0.0"  # nothing before the review

    approved = await stack.post(f"/points/claims/{mine['claim_id']}/approve", office, json={"memo": "材料齐全"})
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["entry"]["amount"]) == ("approved", "6.0")
    seen = (await stack.get(f"/points/claims/{mine['claim_id']}", me)).json()
    assert [t["to_status"] for t in seen["transitions"]] == ["submitted", "approved"]

    # ---- the office: her 科主任 award and the carried-over club points -----------------------------------------
    award = await stack.post("/points/awards/direct", office, json={
        "rule": "R16", "variant": "director", "doctor_id": wang["id"], "facts": {"year": str(year)}})
    assert award.status_code == 201, award.text
    carried = await stack.post("/points/adjustments", office, json={
        "doctor_id": wang["id"], "amount": "450", "reason": "俱乐部线下台账积分迁入（经联盟办公室核对）"})
    assert carried.status_code == 201, carried.text
    assert await balance(stack, me, wang["id"]) == {"doctor_id": wang["id"], "balance": "506.0", "pending": "0.0",
                                                    "as_of": None}
    standings = await board(stack, me, alliance, year)
    assert standings[0][:2] == (1, wang["id"]) and (2, colleague["id"], "50.0") in standings

    # ---- the catalog and the redemption: hold → confirm ----------------------------------------------------
    item = await stack.post("/points/catalog", office, json={
        "name": "儿童健康体检套餐", "description": "湖南省儿童医院体检中心，含血常规、心电图、B超", "tier": 500,
        "stock": 20, "valid_from": (today - timedelta(days=1)).isoformat(),
        "valid_to": (today + timedelta(days=90)).isoformat()})
    assert item.status_code == 201, item.text
    catalog = await stack.get("/points/catalog", me, params={"alliance_id": alliance.id})
    assert [(i["item_id"], i["tier"]) for i in catalog.json()] == [(item.json()["item_id"], 500)]

    key = uuid.uuid4().hex
    held = await stack.post("/points/redemptions", me, key=key, json={"item_id": item.json()["item_id"]})
    assert held.status_code == 201, held.text
    retried = await stack.post("/points/redemptions", me, key=key, json={"item_id": item.json()["item_id"]})
    assert retried.status_code == 201 and retried.headers.get("idempotent-replayed") == "true"
    assert retried.json() == held.json()
    redemption = held.json()
    assert (redemption["state"], redemption["points"]) == ("held", "500.0")
    assert await balance(stack, me, wang["id"]) == {"doctor_id": wang["id"], "balance": "6.0", "pending": "500.0",
                                                    "as_of": None}
    refused(await stack.post(f"/points/redemptions/{redemption['redemption_id']}/confirm", me), 403)  # not hers

    confirmed = await stack.post(f"/points/redemptions/{redemption['redemption_id']}/confirm", office)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["state"] == "confirmed"
    assert await balance(stack, me, wang["id"]) == {"doctor_id": wang["id"], "balance": "6.0", "pending": "0.0",
                                                    "as_of": None}
    stock = (await stack.get("/points/catalog", me, params={"alliance_id": alliance.id})).json()
    assert stock[0]["stock"] == 19

    statement = await stack.get(f"/points/members/{wang['id']}/entries", me)
    assert statement.status_code == 200, statement.text
    lines = [(x["entry_type"], x["rule_code"], x["delta"], x["balance_after"]) for x in statement.json()["items"]]
    assert lines == [("redemption_confirm", None, "0.0", "6.0"), ("redemption_hold", None, "-500.0", "6.0"),
                     ("adjustment", None, "450.0", "506.0"), ("award", "R16", "50.0", "56.0"),
                     ("award", "R01a", "6.0", "6.0")]
    claim_line = statement.json()["items"][-1]
    assert claim_line["claim_id"] == mine["claim_id"] and claim_line["evidence_url"].endswith(mine["claim_id"])
    assert {x["redemption_id"] for x in statement.json()["items"][:2]} == {redemption["redemption_id"]}
    exported = await stack.get(f"/points/members/{wang['id']}/statement.csv", me, params={"year": year})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv"), exported.text
    rows = exported.content.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 1 + len(lines) and mine["claim_id"] in rows[1], rows  # oldest first: the claim award
