"""Reliability matrix row 22: huge payloads against the gateway and a service (points), over real TCP.

413 problem+json before the body is read in full — declared (Content-Length) or streamed (chunked, no length):
the body-limit middleware counts the bytes as they arrive; arrays and strings above the models' limits → 422
naming the field; ``limit=10^9`` → 422 (tests/libs/kit/test_pagination.py); an event above NATS ``max_payload`` →
the outbox row is kept and flagged (tests/reliability/test_jetstream_faults.py). Peak memory of the process grows
by far less than the bytes thrown at it (``ru_maxrss``, a size, never a time).
"""

from __future__ import annotations

import json
import resource
import uuid
from collections.abc import AsyncIterator

import httpx

from libs.kit.clock import FixedClock
from tests.harness.services import TestEnv
from tests.reliability.stack import gateway_stack, token
from tests.services.points.conftest import NOW
from tests.services.points.helpers import seed as seed_directory

MB = 1024 * 1024
PROBLEM = "application/problem+json"


def office() -> dict[str, str]:
    return {**token("alliance_office", sub="office-hn", alliance_id="hn-peds"), "Idempotency-Key": uuid.uuid4().hex,
            "content-type": "application/json"}


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A JSON-looking body streamed without Content-Length (Transfer-Encoding: chunked)."""
    yield b'{"memo": "'
    sent = 0
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'"}'


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


async def test_row22_huge_payloads_are_refused_early_and_bounded(env: TestEnv) -> None:
    async with gateway_stack(env, ("points",), clocks={"points": FixedClock(NOW)},
                             service_settings={"points": {"checkpoint_every": 5}}) as stack:
        points = stack.services["points"]
        await seed_directory(points, units=("U1",), doctors={"D1": "U1"})  # type: ignore[arg-type]
        url = "/api/v1/points/awards/direct"
        gateway_limit = stack.gateway.state.gateway.settings.max_body_bytes  # 10 MB (evidence uploads)
        service_limit = points.runtime.settings.max_json_body_bytes  # 1 MB for JSON (11 MB for evidence uploads)

        before = peak_rss_mb()
        # 10 MB + 1 declared: the gateway refuses it before reading.
        big = await stack.client.post(url, content=b"{" + b" " * gateway_limit + b"}", headers=office())
        assert big.status_code == 413 and big.headers["content-type"] == PROBLEM
        # Streamed without a length, 20 times 12 MB: the gateway stops counting at its limit.
        for _ in range(20):
            streamed = await stack.client.post(url, content=chunks(12 * MB), headers=office())
            assert streamed.status_code == 413 and streamed.headers["content-type"] == PROBLEM
        # 3 MB streamed: under the gateway's limit, over the service's: the service refuses it (through the proxy).
        middle = await stack.client.post(url, content=chunks(3 * MB), headers=office())
        assert middle.status_code == 413 and str(service_limit) in middle.json()["detail"]
        # Straight to the service's ASGI app, streamed: the same 413 before the handler sees it.
        direct = await points.direct.post("/awards/direct", content=chunks(2 * MB), headers={
            "Idempotency-Key": uuid.uuid4().hex, "content-type": "application/json",
            **_signed_office()})
        assert direct.status_code == 413
        grown = peak_rss_mb() - before
        assert grown < 64, f"peak RSS grew by {grown:.0f} MB for ~250 MB of refused bodies"

        # A 1M-element array (about 3 MB of JSON): refused by size; 5 000 facts (below the size): 422 by count.
        array = json.dumps({"rule": "R16", "doctor_id": "D1", "facts": {"x": [0] * 1_000_000}}).encode()
        assert (await stack.client.post(url, content=array, headers=office())).status_code == 413
        many = {"rule": "R16", "doctor_id": "D1", "facts": {f"k{i}": i for i in range(5000)}}
        refused = await stack.client.post(url, json=many, headers=office())
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"].startswith("body.facts")
        # A string field of 900 KB (inside the body limit, far beyond the field's 500 characters): 422 naming it.
        long_memo = {"rule": "R16", "variant": "director", "doctor_id": "D1", "facts": {"year": "2024"},
                     "memo": "长" * (300 * 1024)}
        refused = await stack.client.post(url, json=long_memo, headers=office())
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.memo"
        # Page size far above the maximum: 422 naming the parameter (no silent clamp).
        page = await stack.client.get("/api/v1/points/members/D1/entries", params={"limit": 10**9},
                                      headers=token("alliance_office", sub="office-hn", alliance_id="hn-peds"))
        assert page.status_code == 422 and page.json()["errors"][0]["field"] == "query.limit"
        # Nothing of it reached the ledger.
        entries = await points.direct.get("/members/D1/entries", headers=_signed_office())
        assert entries.json()["items"] == []


def _signed_office() -> dict[str, str]:
    from tests.services.points.helpers import office as signed

    return signed()


del httpx
