"""Reliability matrix row 33 (security audit trail, MLPS 2.0 8.1.4.3) and the operator routes of row 19.

Through the gateway in front of the real points service: every authentication (failed, and first use of a token),
every denial (gateway or service), every operator-route call, every export and every administrative write leaves
a row in ``gateway.security_audit`` with who (subject, role, client address), when (occurred, recorded), what
(event, method, path, request id) and the result. The table refuses UPDATE/DELETE/TRUNCATE (also in replica mode:
tests/services/gateway/test_security_audit.py) and retention below 180 days is refused in production.

The service template's ``/admin/...`` routes (dead letters, reconciliation) check no principal themselves; before
this issue the gateway forwarded them to any signed-in person (a doctor could list dead letters and retry them).
"""

from __future__ import annotations

import uuid

import pytest

from libs.kit.clock import FixedClock
from services.gateway.settings import GatewaySettings
from tests.harness.services import TestEnv
from tests.reliability.stack import gateway_stack, token
from tests.services.points.conftest import NOW
from tests.services.points.helpers import seed as seed_directory

P = "/api/v1/points"


async def test_row33_authentications_denials_admin_actions_and_exports_are_recorded(env: TestEnv) -> None:
    async with gateway_stack(env, ("points",), clocks={"points": FixedClock(NOW)},
                             service_settings={"points": {"checkpoint_every": 5}}) as stack:
        await seed_directory(stack.services["points"], units=("U1",), doctors={"D1": "U1"})  # type: ignore[arg-type]
        doctor = token("doctor", sub="D1", doctor_id="D1", alliance_id="hn-peds", institution_id="U1")
        office = token("alliance_office", sub="office-hn", alliance_id="hn-peds")
        operator = token("platform_admin", sub="ops-1")
        auditor = token("auditor", sub="auditor-1")
        c = stack.client

        assert (await c.get(f"{P}/members/D1/balance")).status_code == 401  # no token
        assert (await c.get(f"{P}/members/D1/balance", headers=doctor)).status_code == 200
        for method, path in (("GET", "/admin/dead-letters"), ("POST", "/admin/dead-letters/1/retry"),
                             ("GET", "/admin/reconcile"), ("POST", "/admin/reconcile")):
            refused = await c.request(method, P + path, headers=doctor)
            assert refused.status_code == 403 and refused.json()["code"] == "admin_route", (path, refused.text)
        assert (await c.post(f"{P}/admin/reconcile", headers=auditor)).status_code == 403  # auditors only read
        award = {"rule": "R16", "variant": "director", "doctor_id": "D1", "facts": {"year": "2024"}}
        assert (await c.post(f"{P}/awards/direct", json=award,
                             headers={**doctor, "Idempotency-Key": uuid.uuid4().hex})).status_code == 403
        assert (await c.post(f"{P}/awards/direct", json=award,
                             headers={**office, "Idempotency-Key": uuid.uuid4().hex})).status_code == 201
        assert (await c.get(f"{P}/admin/dead-letters", headers=operator)).status_code == 200
        assert (await c.get(f"{P}/admin/dead-letters", headers=auditor)).status_code == 200
        reconciled = await c.post(f"{P}/admin/reconcile", headers=operator)
        assert reconciled.status_code == 200 and reconciled.json()["gaps"] == 0, reconciled.text
        assert (await c.get(f"{P}/audit/export", headers=auditor)).status_code == 200
        assert (await c.get(f"{P}/members/D1/statement.csv", headers=doctor)).status_code == 200

        rows = await stack.audit_rows()
        seen = {(r["event"], r["result"], r["role"], r["method"], r["path"]) for r in rows}
        expected = {
            ("authn.token", "failure", None, "GET", f"{P}/members/D1/balance"),
            ("authn.token", "success", "doctor", "GET", f"{P}/members/D1/balance"),
            ("authz.route", "denied", "doctor", "GET", f"{P}/admin/dead-letters"),
            ("authz.route", "denied", "doctor", "POST", f"{P}/admin/dead-letters/1/retry"),
            ("authz.route", "denied", "auditor", "POST", f"{P}/admin/reconcile"),
            ("authz.service", "denied", "doctor", "POST", f"{P}/awards/direct"),
            ("admin.action", "success", "alliance_office", "POST", f"{P}/awards/direct"),
            ("admin.route", "success", "platform_admin", "GET", f"{P}/admin/dead-letters"),
            ("admin.route", "success", "auditor", "GET", f"{P}/admin/dead-letters"),
            ("admin.route", "success", "platform_admin", "POST", f"{P}/admin/reconcile"),
            ("data.export", "success", "auditor", "GET", f"{P}/audit/export"),
            ("data.export", "success", "doctor", "GET", f"{P}/members/D1/statement.csv"),
        }
        assert expected <= seen, sorted(expected - seen)
        for row in rows:  # who, when, what, result on every record
            assert row["occurred_at"] and row["recorded_at"] and row["event"] and row["result"] and row["path"]
            assert row["client_ip"] and row["request_id"] and row["method"]
            if row["event"] != "authn.token" or row["result"] == "success":
                assert row["subject"] and row["role"]


def test_row33_retention_of_at_least_six_months_is_enforced() -> None:
    assert GatewaySettings(environment="test").audit_retention_days >= 180
    with pytest.raises(ValueError, match="AUDIT_RETENTION_DAYS"):
        GatewaySettings(environment="production", audit_retention_days=30, pseudonym_key="k" * 40)
