"""Bearer JWT verification at the gateway (matrix rows 19, 29): table-driven, through the real proxy path."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from libs.auth.principal import Principal
from services.gateway.settings import DEV_HS256_KEY
from tests.services.gateway.conftest import GatewayFactory, GatewayUnderTest
from tests.services.gateway.tokens import SigningKeys, bearer, claims, hs256, signed, unsigned

WHOAMI = "/api/v1/points/whoami"


def forwarded(response_json: dict) -> Principal:
    return Principal.from_json(response_json["principal"])


class TestAcceptedTokens:
    async def test_hs256_dev_token_becomes_the_signed_principal(self, gw: GatewayUnderTest) -> None:
        token = hs256(sub="d-7", doctor_id="d-7", alliance_id="a-1", institution_id="i-1")
        response = await gw.client.get(WHOAMI, headers=bearer(token))
        assert response.status_code == 200, response.text
        principal = forwarded(response.json())
        assert (principal.sub, principal.role.value, principal.doctor_id, principal.institution_id) == (
            "d-7", "doctor", "d-7", "i-1")

    @pytest.mark.parametrize("kid,alg", [("rsa-1", "RS256"), ("ed-1", "EdDSA")])
    async def test_asymmetric_token_from_the_jwks(self, gw: GatewayUnderTest, signing_keys: SigningKeys,
                                                  kid: str, alg: str) -> None:
        key = signing_keys.rsa if alg == "RS256" else signing_keys.ed
        token = signed(key, alg, kid, role="unit_admin", sub="u-1", institution_id="i-1")
        response = await gw.client.get(WHOAMI, headers=bearer(token))
        assert response.status_code == 200, response.text
        assert forwarded(response.json()).role.value == "unit_admin"

    async def test_first_use_of_a_token_is_audited_once(self, gw: GatewayUnderTest) -> None:
        headers = bearer(hs256(sub="d-audit"))
        for _ in range(3):
            assert (await gw.client.get(WHOAMI, headers=headers)).status_code == 200
        rows = await gw.audit_rows(event="authn.token", result="success", subject="d-audit")
        assert len(rows) == 1 and rows[0]["role"] == "doctor" and rows[0]["client_ip"]


def hmac_signed(secret: bytes, *, kid: str) -> str:
    """HS256 keyed with the RSA public key, by hand (PyJWT itself refuses to do it): the classic confusion attack."""
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{part(claims())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _rsa_public_pem(keys: SigningKeys) -> bytes:
    return keys.rsa.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


REFUSED = {
    "missing": lambda keys: None,
    "malformed": lambda keys: "not-a-jwt",
    "expired": lambda keys: hs256(ttl=-120),
    "alg_none": lambda keys: unsigned(),
    "wrong_audience": lambda keys: hs256(aud="someone-else"),
    "wrong_issuer": lambda keys: hs256(iss="https://evil.example"),
    "bad_signature": lambda keys: jwt.encode(claims(), "another-key-of-at-least-32-bytes!!", algorithm="HS256"),
    "unknown_kid": lambda keys: signed(keys.other_rsa, "RS256", "rsa-404"),
    "right_kid_wrong_key": lambda keys: signed(keys.other_rsa, "RS256", "rsa-1"),
    "rs256_without_kid": lambda keys: signed(keys.rsa, "RS256", None),
    "alg_confusion_hs256_with_rsa_public_key": lambda keys: hmac_signed(_rsa_public_pem(keys), kid="rsa-1"),
    "symmetric_key_from_jwks": lambda keys: jwt.encode(claims(), "x" * 32, algorithm="HS256",
                                                       headers={"kid": "oct-1"}),
    "hs384_not_allowed": lambda keys: jwt.encode(claims(), DEV_HS256_KEY, algorithm="HS384"),
    "missing_exp": lambda keys: jwt.encode({k: v for k, v in claims().items() if k != "exp"}, DEV_HS256_KEY,
                                           algorithm="HS256"),
    "unknown_role": lambda keys: hs256(role="superuser"),
    "doctor_without_doctor_id": lambda keys: hs256(doctor_id=None),
    "unit_admin_without_institution": lambda keys: hs256(role="unit_admin", sub="u-1"),
    "integration_role_with_user_audience": lambda keys: jwt.encode(
        {**claims(role="integration", sub="hotline"), "aud": "alliance-api"}, DEV_HS256_KEY, algorithm="HS256"),
    "doctor_with_integration_audience": lambda keys: hs256(aud="alliance-integration"),
    "huge_token": lambda keys: hs256(note="x" * 9000),
}


class TestRefusedTokens:
    @pytest.mark.parametrize("case", sorted(REFUSED))
    async def test_refused_with_401_problem(self, gw: GatewayUnderTest, signing_keys: SigningKeys,
                                            case: str) -> None:
        token = REFUSED[case](signing_keys)
        response = await gw.client.get(WHOAMI, headers=bearer(token) if token else {})
        assert response.status_code == 401, (case, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
        body = response.json()
        assert body["errors"][0]["field"] == "header.authorization"
        assert body["detail"] and body["request_id"] == response.headers["x-request-id"]

    async def test_failures_are_audited_with_their_reason(self, gw: GatewayUnderTest) -> None:
        await gw.client.get(WHOAMI, headers=bearer(hs256(ttl=-120)))
        await gw.client.get(WHOAMI, headers=bearer(unsigned()))
        await gw.client.get(WHOAMI)
        reasons = [r["reason"] for r in await gw.audit_rows(event="authn.token", result="failure")]
        assert reasons == ["expired", "alg_refused", "missing"]

    async def test_other_scheme_is_no_token(self, gw: GatewayUnderTest) -> None:
        response = await gw.client.get(WHOAMI, headers={"authorization": "Basic dXNlcjpwYXNz"})
        assert response.status_code == 401 and response.json()["code"] == "missing"


class TestRoutePolicy:
    async def test_doctor_token_replayed_on_integration_route_is_401(self, gw: GatewayUnderTest) -> None:
        response = await gw.client.get("/api/v1/referral/integration/status", headers=bearer(hs256()))
        assert response.status_code == 401
        assert response.json()["code"] == "wrong_audience"
        [row] = await gw.audit_rows(event="authz.route")
        assert (row["result"], row["subject"], row["status"]) == ("denied", "d-1", 401)

    async def test_integration_token_on_integration_route(self, gw: GatewayUnderTest) -> None:
        response = await gw.client.get("/api/v1/referral/integration/status",
                                       headers=bearer(hs256(role="integration", sub="hotline-85356855")))
        assert response.status_code == 200 and response.json()["role"] == "integration"

    async def test_integration_token_on_user_route_is_403(self, gw: GatewayUnderTest) -> None:
        response = await gw.client.get(WHOAMI, headers=bearer(hs256(role="integration", sub="hotline")))
        assert response.status_code == 403
        assert response.json()["code"] == "integration_on_user_route"
        assert [r["reason"] for r in await gw.audit_rows(event="authz.route")] == ["integration_on_user_route"]


class TestJwksUrl:
    async def test_keys_are_fetched_from_the_identity_provider(self, gateway_factory: GatewayFactory, jwks_file: str,
                                                              signing_keys: SigningKeys) -> None:
        from fastapi import FastAPI

        from tests.services.gateway.upstream import serve

        idp = FastAPI()
        idp.get("/.well-known/jwks.json")(lambda: json.loads(Path(jwks_file).read_text()))
        async with serve(idp) as served, gateway_factory(jwks_file="", jwks_url=served.url + "/.well-known/jwks.json"
                                                         ) as gw:
            accepted = await gw.client.get(WHOAMI, headers=bearer(signed(signing_keys.rsa, "RS256", "rsa-1")))
            unknown = await gw.client.get(WHOAMI, headers=bearer(signed(signing_keys.other_rsa, "RS256", "rsa-9")))
        assert accepted.status_code == 200
        assert unknown.status_code == 401 and unknown.json()["code"] == "unknown_key"


class TestServiceDenials:
    async def test_a_services_403_is_audited_at_the_gateway(self, gw: GatewayUnderTest) -> None:
        admin = bearer(hs256(role="unit_admin", sub="u-1", institution_id="i-1"))
        own = await gw.client.get("/api/v1/registry/institutions/i-1/doctors", headers=admin)
        other = await gw.client.get("/api/v1/registry/institutions/i-2/doctors", headers=admin)
        assert own.status_code == 200 and other.status_code == 403
        [row] = await gw.audit_rows(event="authz.service")
        assert (row["result"], row["reason"], row["subject"], row["path"]) == (
            "denied", "registry", "u-1", "/api/v1/registry/institutions/i-2/doctors")


class TestProductionRefusesHs256:
    async def test_hs256_dev_token_is_401_in_production(self, gateway_factory: GatewayFactory, tmp_path: Path,
                                                        signing_keys: SigningKeys) -> None:
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        key_file = tmp_path / "signing.pem"
        key_file.write_bytes(signing_keys.ed.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
        production = dict(environment="production", signing_key_file=str(key_file), signing_key_id="ed-1",
                          wechat_mode="real", wechat_appid="wx-test", wechat_secret="s3cret",
                          pseudonym_key="prod-pseudonym-key")
        async with gateway_factory(**production) as gw:
            refused = await gw.client.get(WHOAMI, headers=bearer(hs256()))
            accepted = await gw.client.get(WHOAMI, headers=bearer(signed(signing_keys.ed, "EdDSA", "ed-1")))
        assert refused.status_code == 401 and refused.json()["code"] == "alg_refused"
        assert accepted.status_code == 200


def test_jwks_fixture_has_the_expected_keys(jwks_file: str) -> None:
    kids = [k["kid"] for k in json.loads(Path(jwks_file).read_text())["keys"]]
    assert kids == ["rsa-1", "ed-1", "oct-1"]
