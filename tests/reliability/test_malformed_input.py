"""Reliability matrix row 21: hand-made bytes through the gateway to the points service (Schemathesis covers the
generated cases, tests/reliability/test_schemathesis.py). Every answer is 400/415/422 problem+json, never a 5xx,
and nothing is written. Webhooks verify the signature before parsing: tests/services/referral/test_webhooks.py."""

from __future__ import annotations

import uuid

from libs.kit.clock import FixedClock
from tests.harness.services import TestEnv
from tests.reliability.stack import gateway_stack, token
from tests.services.points.conftest import NOW
from tests.services.points.helpers import seed as seed_directory

GOOD = b'"rule": "R16", "variant": "director", "doctor_id": "D1", "facts": {"year": "2024"}'
CASES: list[tuple[str, bytes, str, tuple[int, ...]]] = [
    ("invalid JSON", b'{"rule": ', "application/json", (400,)),
    ("not JSON at all", b"rule=R16&doctor_id=D1", "application/json", (400,)),
    ("wrong content type", b"{" + GOOD + b"}", "text/plain", (415,)),
    ("form content type", b"rule=R16", "application/x-www-form-urlencoded", (415,)),
    ("invalid UTF-8", b'{"rule": "\xff\xfe\xfd", "doctor_id": "D1"}', "application/json", (400, 422)),
    # Python's JSON reader accepts UTF-16/32 with a BOM (RFC 8259 allows readers to): lenient, never a 5xx.
    ("UTF-16 with BOM", ("{" + GOOD.decode() + "}").encode("utf-16"), "application/json", (201, 400, 409, 422)),
    ("duplicate keys", b'{"rule": "R03a", ' + GOOD + b', "doctor_id": "D2"}', "application/json", (201, 409, 422)),
    ("nesting depth 10k", b'{"facts": {"x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}}", "application/json",
     (400, 422)),
    ("null byte in a string", b'{"rule": "R16", "variant": "director", "doctor_id": "D2", "facts": {"year": "n"}, '
                              b'"memo": "a\\u0000b"}', "application/json", (422,)),
    ("null byte in an id", b'{"rule": "R16", "doctor_id": "D\\u00001", "facts": {}}', "application/json", (422,)),
    ("raw control bytes", b'{"rule": "R16\x00\x01", "doctor_id": "D1"}', "application/json", (400, 422)),
    ("NaN", b'{' + GOOD + b', "quantity": NaN}', "application/json", (400, 422)),
    ("number above 2^53", b'{' + GOOD + b', "quantity": 9007199254740993}', "application/json", (422,)),
    ("1e309", b'{' + GOOD + b', "quantity": 1e309}', "application/json", (400, 422)),
    ("empty body", b"", "application/json", (400, 422)),
    ("array instead of object", b"[1, 2, 3]", "application/json", (422,)),
]


async def test_row21_malformed_bodies_are_4xx_problems_and_write_nothing(env: TestEnv) -> None:
    async with gateway_stack(env, ("points",), clocks={"points": FixedClock(NOW)}) as stack:
        points = stack.services["points"]
        await seed_directory(points, units=("U1",), doctors={"D1": "U1", "D2": "U1"})  # type: ignore[arg-type]
        office = token("alliance_office", sub="office-hn", alliance_id="hn-peds")
        failures = []
        created = 0
        for name, body, content_type, expected in CASES:
            response = await stack.client.post("/api/v1/points/awards/direct", content=body, headers={
                **office, "content-type": content_type, "Idempotency-Key": uuid.uuid4().hex})
            if response.status_code == 201:
                created += 1
            elif not response.headers["content-type"].startswith("application/problem+json"):
                failures.append((name, response.status_code, "not problem+json"))
            if response.status_code not in expected:
                failures.append((name, response.status_code, response.text[:200]))
        assert not failures, failures
        booked = 0
        for doctor_id in ("D1", "D2"):
            entries = await points.direct.get(f"/members/{doctor_id}/entries", headers=_signed_office())
            booked += len(entries.json()["items"])
        assert booked == created  # only well-formed (if lenient) bodies were booked


def _signed_office() -> dict[str, str]:
    from tests.services.points.helpers import office

    return office()
