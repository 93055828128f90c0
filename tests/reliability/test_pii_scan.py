"""Reliability matrix row 28 (PIPL): after the referral and webhook flows have run through the whole platform —
hotline and emergency webhooks with the patient block, referrals, a reserved-slot booking and a remote consult
created through the gateway, awards consumed by points, referral facts counted by evaluation — nothing outside
the referral service's encrypted patient store carries the fixture patients' names, resident ID numbers or
guardians' phone numbers:

- every message of every JetStream stream of the run (data and headers);
- every log line of every logger, formatted as the services write them (JSON);
- the exports: the points ledger export (NDJSON), the doctor's statement (CSV, XLSX), evaluation exports;
- every row of every table of the registry, points, evaluation and gateway schemas (outboxes, inboxes, dead
  letters, the security audit included; in the registry, whose filing data holds work phones, only the patients'
  own identifiers count) — the referral schema is covered column by column by
  tests/services/referral/test_pii.py (ciphertext and keyed pseudonyms only).

Besides the exact identifiers, the scan looks for any resident-ID-shaped number (GB 11643 with a valid check
digit) and any mainland mobile number, so a leak of another patient's identifiers is caught too.
"""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from datetime import date, timedelta
from typing import Any

import nats

from libs.kit.clock import business_date
from libs.kit.logging import JsonFormatter
from tests.e2e.stack import Stack, running_stack
from tests.e2e.test_hotline import award_events_applied, milestones
from tests.e2e.world import add_doctor, evaluation_knows_alliance, hunan, points_knows_doctor, referral_knows
from tests.harness.services import TestEnv
from tests.harness.waiting import eventually
from tests.services.referral.helpers import patient, uid

GUARDIAN_PHONE = "13912345678"
CHILD = {"name": "欧阳小雨", "sex": "female", "birth_date": "2021-02-14", "guardian_contact": GUARDIAN_PHONE}
BOOKED = patient("司马小川", date(2016, 7, 1), serial=55)
CONSULTED = patient("上官小桃", date(2019, 3, 9), male=False, serial=61)
HOTLINE = patient("周小满", serial=3)  # used by tests.e2e.test_hotline.milestones
EMERGENCY = patient("刘小宇", serial=7)
PATIENTS = [CHILD, BOOKED, CONSULTED, HOTLINE, EMERGENCY]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def is_resident_id(candidate: str) -> bool:
    body = candidate[:17]
    return candidate[17].upper() == "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def needles() -> list[str]:
    found: list[str] = []
    for p in PATIENTS:
        found += [p["name"], json.dumps(p["name"])[1:-1]]  # as UTF-8 text and as a JSON \\u escape
        if p.get("id_number"):
            found += [p["id_number"], p["id_number"][6:14] + p["id_number"][14:]]
        if p.get("guardian_contact"):
            found.append(p["guardian_contact"])
    return found


def scan(where: str, text: str, leaks: list[str], *, any_mobile: bool = True) -> None:
    for needle in needles():
        if needle in text:
            leaks.append(f"{where}: {needle!r}")
    for match in RESIDENT_ID.findall(text):
        if is_resident_id(match):
            leaks.append(f"{where}: resident ID number {match}")
    for match in MOBILE.findall(text) if any_mobile else ():
        leaks.append(f"{where}: mobile number {match}")


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter("pii-scan"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a record that cannot be formatted is still scanned as its message
            self.lines.append(str(record.getMessage()))


async def every_stream_message(stack: Stack) -> list[tuple[str, str]]:
    nc = await nats.connect(stack.nats_url)
    found: list[tuple[str, str]] = []
    try:
        js = nc.jetstream()
        prefix = stack.env.namespace.rstrip(".").replace(".", "_").upper() + "_"
        for info in await js.streams_info():
            name = info.config.name
            if not name.startswith(prefix):
                continue
            for seq in range(info.state.first_seq, info.state.last_seq + 1 if info.state.messages else 0):
                try:
                    msg = await js.get_msg(name, seq)
                except Exception:
                    continue
                found.append((f"{name}#{seq}", json.dumps(dict(msg.headers or {}), ensure_ascii=False)
                              + msg.data.decode("utf-8", "replace")))
    finally:
        await nc.close()
    return found


async def every_row(stack: Stack, schema: str) -> list[tuple[str, str]]:
    tables = await stack.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 "
                             "AND table_type = 'BASE TABLE'", schema)
    found = []
    for t in tables:
        for row in await stack.sql(f'SELECT * FROM "{schema}"."{t["table_name"]}"'):
            values = [v.decode("utf-8", "replace") if isinstance(v, bytes | bytearray | memoryview)
                      and not isinstance(v, memoryview) else bytes(v).decode("utf-8", "replace")
                      if isinstance(v, memoryview) else str(v) for v in row.values()]
            found.append((f"{schema}.{t['table_name']}", " | ".join(values)))
    return found


def xlsx_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


async def test_row28_no_patient_identifier_in_events_logs_exports_or_other_schemas(env: TestEnv) -> None:
    handler = Lines()
    root = logging.getLogger()
    old_level = root.level
    leaks: list[str] = []
    try:
        async with running_stack(env) as stack:
            root.addHandler(handler)  # after the services configured logging (which replaces root's handlers)
            root.setLevel(logging.DEBUG)
            await _run_flows(stack)
            for where, text in await every_stream_message(stack):
                scan(f"stream {where}", text, leaks)
            for schema in ("registry", "points", "evaluation", "gateway"):
                for where, text in await every_row(stack, schema):
                    # The registry keeps the institutions' and council members' work phones (filing data it never
                    # publishes): there only the patients' own identifiers count.
                    scan(f"table {where}", text, leaks, any_mobile=schema != "registry")
            for where, text in await _exports(stack):
                scan(f"export {where}", text, leaks)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert len(handler.lines) > 50  # the scan saw the services' log lines
    for line in handler.lines:
        scan("log", line, leaks)
    assert not leaks, "\n".join(sorted(set(leaks))[:30])


STATE: dict[str, Any] = {}


async def _run_flows(stack: Stack) -> None:
    alliance = await hunan(stack)
    unit = alliance.member_id(2)
    zhao = await add_doctor(stack, alliance, "zhao", institution_id=unit, name="赵明")
    lead = await add_doctor(stack, alliance, "lead", institution_id=alliance.lead_id, name="孙主任")
    await points_knows_doctor(stack, alliance, zhao)
    await referral_knows(stack, zhao["id"], lead["id"])
    await evaluation_knows_alliance(stack, alliance)
    STATE.update(alliance=alliance, zhao=zhao, lead=lead, unit=unit)

    for sender in ("hotline", "emergency"):  # webhooks carrying the full patient block
        for body in milestones(stack, alliance, sender, zhao, lead):
            response = await stack.webhook(sender, body, msg_id=uid(f"{sender}-msg"))
            assert response.status_code == 200, response.text
    invalid = json.loads(milestones(stack, alliance, "hotline", zhao, lead)[0])
    invalid["data"]["patient"] = {**HOTLINE, "id_number": HOTLINE["id_number"][:-1] + "0"}  # bad check digit
    refused = await stack.webhook("hotline", json.dumps(invalid, ensure_ascii=False).encode(), msg_id=uid("bad"))
    assert refused.status_code == 422  # the refusal is logged and recorded: without the identifiers

    doctor = alliance.doctor("zhao")
    created = await stack.post("/referral/referrals", doctor, json={
        "alliance_id": alliance.id, "direction": "up", "setting": "inpatient",
        "receiving": {"institution_id": alliance.lead_id}, "reason": "高热惊厥", "indication": "emergency_critical",
        "urgency": "critical", "patient": CHILD})
    assert created.status_code == 201, created.text
    rid = created.json()["referral_id"]
    receiving = alliance.doctor("lead")
    for action in ("accept", "arrival", "admission"):
        assert (await stack.post(f"/referral/referrals/{rid}/{action}", receiving)).status_code == 200
    tomorrow = (business_date(stack.now()) + timedelta(days=1)).isoformat()
    pool = await stack.post("/referral/slot-pools", alliance.office(), json={
        "alliance_id": alliance.id, "department": "儿科", "on_date": tomorrow, "capacity": 2})
    assert pool.status_code == 201, pool.text
    booking = await stack.post(f"/referral/slot-pools/{pool.json()['pool_id']}/bookings", doctor,
                               json={"patient": BOOKED})
    assert booking.status_code == 201, booking.text
    consult = await stack.post("/referral/consults", doctor, json={
        "alliance_id": alliance.id, "kind": "imaging", "responder_institution_id": alliance.lead_id,
        "question": "胸片", "patient": CONSULTED})
    assert consult.status_code == 201, consult.text
    await eventually(lambda: award_events_applied(stack), until=lambda pair: pair[0] >= 3 and pair[0] == pair[1],
                     timeout=90, what="points applied every award event")


async def _exports(stack: Stack) -> list[tuple[str, str]]:
    alliance, zhao = STATE["alliance"], STATE["zhao"]
    auditor = stack.as_("auditor", sub="auditor-1")
    doctor = alliance.doctor("zhao")
    found = []
    ledger = await stack.get("/points/audit/export", auditor)
    assert ledger.status_code == 200 and ledger.text.count("\n") > 3
    found.append(("points ledger.ndjson", ledger.text))
    csv = await stack.get(f"/points/members/{zhao['id']}/statement.csv", doctor)
    assert csv.status_code == 200, csv.text
    found.append(("points statement.csv", csv.text))
    xlsx = await stack.get(f"/points/members/{zhao['id']}/statement.xlsx", doctor)
    assert xlsx.status_code == 200, xlsx.text
    found.append(("points statement.xlsx", xlsx_text(xlsx.content)))
    year = business_date(stack.now()).year
    for fmt in ("json", "xlsx"):
        comparison = await stack.get(f"/evaluation/alliances/{alliance.id}/comparison", alliance.office(),
                                     params={"format": fmt})
        assert comparison.status_code == 200, comparison.text
        found.append((f"evaluation comparison.{fmt}",
                      xlsx_text(comparison.content) if fmt == "xlsx" else comparison.text))
    del year
    return found





def test_the_scan_finds_what_it_looks_for() -> None:
    leaks: list[str] = []
    scan("sample", json.dumps({"patient": HOTLINE}, ensure_ascii=True), leaks)  # \\u-escaped name, ID number
    scan("sample", f"guardian {GUARDIAN_PHONE}; other 110101199003074514; 13800138000", leaks)
    escaped = json.dumps(HOTLINE["name"])[1:-1]
    assert any(repr(escaped) in leak for leak in leaks) and any(HOTLINE["id_number"] in leak for leak in leaks)
    assert any("110101199003074514" in leak for leak in leaks) and any("13800138000" in leak for leak in leaks)
    assert any(GUARDIAN_PHONE in leak for leak in leaks)
