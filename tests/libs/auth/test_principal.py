"""The signed principal header between gateway and services, and the role guard."""

from __future__ import annotations

import base64

import httpx
import pytest
from fastapi import FastAPI

from libs.auth.deps import PrincipalDep, internal_auth_key, require_roles
from libs.auth.principal import (
    PRINCIPAL_HEADER,
    SIGNATURE_HEADER,
    Principal,
    Role,
    region_covers,
    sign_principal,
    verify_principal,
)
from libs.auth.testing import as_principal
from libs.kit.errors import Unauthorized
from libs.kit.problems import install_problem_handlers

KEY = "test-internal-key"
DOCTOR = Principal(sub="d-1", role=Role.DOCTOR, doctor_id="d-1", institution_id="i-1")


class TestSignedHeader:
    def test_round_trip(self) -> None:
        headers = sign_principal(DOCTOR, KEY)
        assert verify_principal(headers[PRINCIPAL_HEADER], headers[SIGNATURE_HEADER], KEY) == DOCTOR

    @pytest.mark.parametrize("tamper", ["payload", "signature", "key", "missing"])
    def test_tampering_is_401(self, tamper: str) -> None:
        headers = sign_principal(DOCTOR, KEY)
        payload, signature, key = headers[PRINCIPAL_HEADER], headers[SIGNATURE_HEADER], KEY
        if tamper == "payload":
            forged = Principal(sub="d-1", role=Role.PLATFORM_ADMIN)
            payload = base64.urlsafe_b64encode(forged.to_json().encode()).decode()
        elif tamper == "signature":
            signature = "0" * 64
        elif tamper == "key":
            key = "another-key"
        else:
            signature = None  # type: ignore[assignment]
        with pytest.raises(Unauthorized):
            verify_principal(payload, signature, key)

    def test_unknown_role_in_a_signed_payload_is_401(self) -> None:
        import hashlib
        import hmac

        payload = base64.urlsafe_b64encode(b'{"role": "root", "sub": "x"}').decode()
        signature = hmac.new(KEY.encode(), payload.encode(), hashlib.sha256).hexdigest()
        with pytest.raises(Unauthorized):
            verify_principal(payload, signature, KEY)


@pytest.mark.parametrize("commission,region,covered", [
    ("430000", "430104", True), ("430100", "430104", True), ("430100", "430200", False),
    ("430104", "430104", True), (None, "430104", False), ("430000", None, False),
])
def test_region_covers(commission: str | None, region: str | None, covered: bool) -> None:
    assert region_covers(commission, region) is covered


async def test_role_guard_denies_by_default() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/close-year", dependencies=[require_roles(Role.ALLIANCE_OFFICE)])
    async def close_year(principal: PrincipalDep) -> dict[str, str]:
        return {"by": principal.sub}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        denied = await client.post("/close-year", headers=as_principal("doctor", doctor_id="d-1"))
        allowed = await client.post("/close-year", headers=as_principal("alliance_office", sub="o-1"))
        anonymous = await client.post("/close-year")
    assert denied.status_code == 403 and denied.headers["content-type"] == "application/problem+json"
    assert allowed.status_code == 200 and allowed.json() == {"by": "o-1"}
    assert anonymous.status_code == 401
    assert internal_auth_key()
