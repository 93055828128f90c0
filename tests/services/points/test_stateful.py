"""A Hypothesis state machine against the running service on real PostgreSQL: awards, reversals, concurrent
redemptions, confirmations and voids, late awards and the year close, in any order.

Invariants: no balance below zero, balances equal the model, the projections equal the rebuild from the log,
and the hash chain (with its signed checkpoints) verifies. The service runs in the test's event loop; the
machine runs in a worker thread and submits each step to that loop.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import Future
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from libs.kit.clock import FixedClock
from tests.harness.services import RunningService

from .conftest import NOW
from .helpers import apply, auditor, directory_events, doctor, office, post

NEW_YEAR = datetime(2025, 1, 2, 2, 0, tzinfo=timezone.utc)
AWARDS = {"bonus": ({"rule": "R16", "variant": "liaison"}, 100),
          "article": ({"rule": "R03a", "variant": "article", "facts": {"char_count": 500, "first_author": True}}, 10),
          "prize": ({"rule": "R03c", "variant": "first_prize"}, 50)}
PRICE = 1000  # tenths: a 100-point prize


class LedgerMachine(RuleBasedStateMachine):
    svc: RunningService
    loop: asyncio.AbstractEventLoop

    awards = Bundle("awards")
    holds = Bundle("holds")

    def __init__(self) -> None:
        super().__init__()
        self.alliance = f"a{uuid.uuid4().hex[:8]}"
        self.doctors = [f"{self.alliance}-d{i}" for i in range(3)]
        self.model = dict.fromkeys(self.doctors, 0)
        self.reversed: set[str] = set()
        self.closed = False
        self.steps = 0
        self.clock.set(NOW)
        self.run(apply(self.svc, "registry", *directory_events(
            alliance=self.alliance, units=(f"{self.alliance}-u",),
            doctors={d: f"{self.alliance}-u" for d in self.doctors})))
        item = self.run(post(self.client, "/catalog", office(self.alliance), {
            "name": "体检套餐", "tier": PRICE // 10, "stock": 10_000, "valid_from": "2024-01-01",
            "valid_to": "2026-12-31"}))
        self.item = item.json()["item_id"]

    # ---- plumbing -------------------------------------------------------------------------------------
    @property
    def client(self) -> httpx.AsyncClient:
        return self.svc.client

    @property
    def clock(self) -> FixedClock:
        clock = self.svc.runtime.clock
        assert isinstance(clock, FixedClock)
        return clock

    def run(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout=120)

    def balance(self, doctor_id: str) -> dict[str, str]:
        return dict(self.run(self.client.get(f"/members/{doctor_id}/balance", headers=office(self.alliance))).json())

    # ---- rules ----------------------------------------------------------------------------------------
    @rule(target=awards, who=st.integers(0, 2), kind=st.sampled_from(sorted(AWARDS)))
    def award(self, who: int, kind: str) -> tuple[str, str, int]:
        body, tenths = AWARDS[kind]
        doctor_id = self.doctors[who]
        response = self.run(post(self.client, "/awards/direct", office(self.alliance),
                                 {**body, "doctor_id": doctor_id, "facts": {**body.get("facts", {}),
                                                                            "year": uuid.uuid4().hex}}))
        assert response.status_code == 201, response.text
        self.model[doctor_id] += tenths
        return response.json()["entry_id"], doctor_id, tenths

    @rule(who=st.integers(0, 2))
    def late_award(self, who: int) -> None:
        response = self.run(post(self.client, "/awards/direct", office(self.alliance), {
            "rule": "R16", "variant": "liaison", "doctor_id": self.doctors[who], "facts": {"year": "late"},
            "occurred_at": "2024-05-30T10:00:00+08:00"}))
        if self.closed:
            assert response.status_code == 409 and "已封账" in response.json()["detail"]
        elif response.status_code == 201:
            self.model[self.doctors[who]] += 100
        else:  # once per year: the second late bonus of the same doctor
            assert response.status_code == 409 and "只能获得一次" in response.json()["detail"]

    @rule(original=awards)
    def reverse(self, original: tuple[str, str, int]) -> None:
        entry_id, doctor_id, tenths = original
        response = self.run(post(self.client, f"/entries/{entry_id}/reversals", office(self.alliance),
                                 {"reason": "核查后冲正"}))
        if entry_id in self.reversed or self.model[doctor_id] < tenths:
            assert response.status_code == 409, response.text
            return
        assert response.status_code == 201, response.text
        self.reversed.add(entry_id)
        self.model[doctor_id] -= tenths

    @rule(target=holds, who=st.integers(0, 2), attempts=st.integers(1, 6))
    def redeem_concurrently(self, who: int, attempts: int) -> Any:
        doctor_id = self.doctors[who]

        async def burst() -> list[httpx.Response]:
            return list(await asyncio.gather(*(post(self.client, "/redemptions", doctor(doctor_id, self.alliance),
                                                    {"item_id": self.item}) for _ in range(attempts))))

        responses = self.run(burst())
        won = [r for r in responses if r.status_code == 201]
        assert len(won) == min(attempts, self.model[doctor_id] // PRICE)
        assert all(r.status_code == 409 for r in responses if r.status_code != 201)
        self.model[doctor_id] -= PRICE * len(won)
        return tuple((r.json()["redemption_id"], doctor_id) for r in won)

    @rule(held=holds, confirm=st.booleans())
    def settle(self, held: tuple[tuple[str, str], ...], confirm: bool) -> None:
        for redemption_id, doctor_id in held:
            action = "confirm" if confirm else "void"
            response = self.run(post(self.client, f"/redemptions/{redemption_id}/{action}", office(self.alliance)))
            if response.status_code == 409:  # settled by an earlier step
                continue
            assert response.status_code == 200, response.text
            if not confirm:
                self.model[doctor_id] += PRICE

    @rule()
    def close_year(self) -> None:
        self.clock.set(NEW_YEAR)
        response = self.run(post(self.client, f"/years/2024/close?alliance_id={self.alliance}", office(self.alliance)))
        assert response.status_code == (409 if self.closed else 201), response.text
        self.closed = True

    # ---- invariants -----------------------------------------------------------------------------------
    @invariant()
    def balances_match_the_model_and_never_go_negative(self) -> None:
        self.steps += 1
        for doctor_id, expected in self.model.items():
            body = self.balance(doctor_id)
            assert int(float(body["balance"]) * 10) == expected >= 0, (doctor_id, body, expected)

    @invariant()
    def the_log_rebuilds_the_projections_and_the_chain_verifies(self) -> None:
        if self.steps % 5:
            return  # a full scan: every fifth step, and at the end of every run (teardown)
        self.check_ledger()

    def check_ledger(self) -> None:
        diff = self.run(self.client.get("/audit/projections/diff", headers=auditor())).json()
        assert diff["ok"], diff
        verified = self.run(self.client.post("/audit/verify", headers=auditor())).json()
        assert verified["ok"], verified
        reconciled = self.run(self.client.get("/audit/reconcile", params={"alliance_id": self.alliance},
                                              headers=auditor())).json()
        assert reconciled["balanced"] and reconciled["ledger_sums_to_zero"], reconciled

    def teardown(self) -> None:
        self.check_ledger()


async def _drive(points: RunningService, examples: int, steps: int) -> None:
    LedgerMachine.svc, LedgerMachine.loop = points, asyncio.get_running_loop()
    config = settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                      suppress_health_check=list(HealthCheck))
    await asyncio.to_thread(run_state_machine_as_test, LedgerMachine, settings=config)


async def test_ledger_state_machine(points: RunningService) -> None:
    await _drive(points, examples=15, steps=20)


@pytest.mark.soak
async def test_ledger_state_machine_soak(points: RunningService) -> None:
    await _drive(points, examples=200, steps=50)
