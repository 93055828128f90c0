"""Reliability matrix row 5: PostgreSQL crashes (``pg_ctl stop -m immediate``: SIGQUIT to the postmaster, by its PID)
under concurrent award and redemption load on the points service. Acknowledged (201) operations survive the
restart; in-flight ones fail with 5xx problem+json (or the connection breaks); their retry with the same
Idempotency-Key applies once; no half transaction (every ledger entry has its outbox row and the reverse); the
projections equal their rebuild and the hash chain verifies. The server is the test's own (``private_postgres``).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import httpx
import pytest

from libs.devstack.postgres import EmbeddedPostgres
from libs.kit.clock import FixedClock
from tests.harness.services import TestEnv, running_service
from tests.harness.waiting import eventually
from tests.reliability.ledger_history import check_ledger_history, office_source
from tests.services.points.conftest import NOW
from tests.services.points.helpers import doctor, office
from tests.services.points.helpers import seed as seed_directory


async def _call(client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], body: Any,
                key: str) -> int | None:
    try:
        response = await client.request(method, path, json=body, headers={**headers, "Idempotency-Key": key})
    except Exception:  # the connection to PostgreSQL broke inside the request: no answer at all
        return None
    if response.status_code >= 500:
        assert response.headers["content-type"] == "application/problem+json", response.text
    return response.status_code


async def _crash_under_load(env: TestEnv, server: EmbeddedPostgres, database_url: str, seed: int, *,
                            awards: int, redemptions: int) -> None:
    rng = random.Random(seed)
    test_env = TestEnv(database_url=database_url, nats_url=env.nats_url, namespace=env.namespace)
    async with running_service(test_env, "points", checkpoint_every=5, consumer_max_deliver=3) as points:
        points.runtime.clock = FixedClock(NOW)
        await seed_directory(points, units=("U1",), doctors={"D1": "U1"})
        ops: list[tuple[str, str, dict[str, str], Any, str]] = []  # method, path, headers, body, key
        for i in range(awards):
            ref = f"load-{i}"
            ops.append(("POST", "/awards/direct", office(), {"rule": "R16", "variant": "director", "doctor_id": "D1",
                                                            "facts": {"year": ref}, "source_ref": ref}, ref))
        for i in range(4):  # 200 points to spend before the load starts
            status = await _call(points.client, "POST", "/awards/direct", office(),
                                 {"rule": "R16", "variant": "director", "doctor_id": "D1", "facts": {"year": f"pre{i}"},
                                  "source_ref": f"pre-{i}"}, f"pre-{i}")
            assert status == 201
        item = await points.client.post("/catalog", headers={**office(), "Idempotency-Key": uuid.uuid4().hex}, json={
            "name": "儿童体检套餐", "tier": 100, "stock": 100, "valid_from": "2024-01-01", "valid_to": "2024-12-31"})
        assert item.status_code == 201, item.text
        for i in range(redemptions):
            ops.append(("POST", "/redemptions", doctor("D1"), {"item_id": item.json()["item_id"]}, f"redeem-{i}"))
        rng.shuffle(ops)
        crash_after = rng.randint(len(ops) // 4, len(ops) // 2)

        async def crash() -> None:
            while sum(s is not None for s in first.values()) < crash_after:
                await asyncio.sleep(0.005)
            server.stop(immediate=True)  # SIGQUIT to the postmaster: no checkpoint, no clean shutdown
            await asyncio.sleep(rng.uniform(0.1, 0.5))
            server.start()

        first: dict[str, int | None] = {op[4]: None for op in ops}

        async def run(op: tuple[str, str, dict[str, str], Any, str]) -> None:
            await asyncio.sleep(rng.uniform(0, 0.3))
            status = await _call(points.client, *op)
            first[op[4]] = status if status is not None else 0

        await asyncio.gather(crash(), *(run(op) for op in ops))
        failed = [op for op in ops if not 200 <= (first[op[4]] or 0) < 300 and first[op[4]] != 409]
        assert failed, "the crash hit no request: the load is too small for this seed"

        # Retries with the same keys until every operation has its final answer (the pool reconnects).
        final: dict[str, int | None] = dict(first)

        async def settle() -> int:
            for op in ops:
                status = final[op[4]]
                if status is None or status == 0 or status >= 500:
                    final[op[4]] = await _call(points.client, *op)
            return sum(1 for s in final.values() if s is None or s == 0 or s >= 500)

        await eventually(settle, until=lambda n: n == 0, timeout=60, interval=0.5, what="every retry answered")
        assert all(s in (201, 409) for s in final.values()), final
        redeemed = [k for k, s in final.items() if k.startswith("redeem-") and s == 201]

        acknowledged = [office_source(f"load-{i}") for i in range(awards)] + [office_source(f"pre-{i}")
                                                                             for i in range(4)]
        await check_ledger_history(points.client, database_url, acknowledged=acknowledged)
        balance = (await points.client.get("/members/D1/balance", headers=office())).json()
        held = 100 * len(redeemed)  # each acknowledged redemption holds its price once, none twice, none lost
        assert (balance["balance"], balance["pending"]) == (f"{(awards + 4) * 50 - held}.0", f"{held}.0")
        async with points.runtime.transaction() as session:
            from sqlalchemy import text

            rows = (await session.execute(text("SELECT count(*) FROM points.redemptions"))).scalar_one()
        assert rows == len(redeemed)


async def test_row5_postgres_crash_during_awards_and_redemptions(env: TestEnv, private_postgres: EmbeddedPostgres,
                                                                 private_database: str, seed: int) -> None:
    await _crash_under_load(env, private_postgres, private_database, seed, awards=24, redemptions=8)


@pytest.mark.soak
@pytest.mark.parametrize("run", range(5))
async def test_row5_soak_many_crashes(env: TestEnv, private_postgres: EmbeddedPostgres, private_database: str,
                                      seed: int, run: int) -> None:
    await _crash_under_load(env, private_postgres, private_database, seed + run, awards=150, redemptions=40)
