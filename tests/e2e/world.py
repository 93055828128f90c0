"""The world of a journey, built through the gateway only: the registry's reference alliances (湖南省儿科专科联盟,
海口市神经外科专科联盟) and doctors, and the waits until the other services' directories have caught up.

Every wait is an ``eventually`` on something the platform exposes through the gateway (a 404 turning into a
200 once a consumer applied the registry's event), except the referral directory, which has no read route of
its own: there the replica table is read (a readiness probe, never an assertion of the journey).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from libs.auth.principal import Role
from libs.kit.clock import business_date
from tests.e2e.stack import Stack
from tests.harness.waiting import eventually
from tests.services.registry.fixtures import (
    BuiltAlliance,
    build_haikou_neurosurgery,
    build_hunan_pediatric,
    register_doctor,
)

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id", "errors", "code", "field",
                "service", "current_status"}


@dataclass
class Alliance:
    """A built alliance and the tokens of the people acting on it."""

    built: BuiltAlliance
    doctors: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → registry doctor

    @property
    def id(self) -> str:
        return self.built.id

    @property
    def lead_id(self) -> str:
        return str(self.built.lead["id"])

    def member_id(self, index: int = 0) -> str:
        return str(self.built.members[index]["id"])

    @property
    def region(self) -> str:
        return str(self.built.commission["region_code"])

    # ---- callers (JWT headers) ----
    def office(self) -> dict[str, str]:
        return Stack.as_(Role.ALLIANCE_OFFICE, **self.built.office)

    def commission(self) -> dict[str, str]:
        return Stack.as_(Role.HEALTH_COMMISSION, **self.built.commission)

    def unit_admin(self, institution_id: str) -> dict[str, str]:
        return Stack.as_(Role.UNIT_ADMIN, sub=f"admin-{institution_id[:8]}", institution_id=institution_id,
                         alliance_id=self.id)

    def doctor(self, name: str) -> dict[str, str]:
        d = self.doctors[name]
        return Stack.as_(Role.DOCTOR, sub=f"wx-{d['id'][:8]}", doctor_id=d["id"], institution_id=d["institution_id"],
                         alliance_id=self.id)


def this_year(stack: Stack) -> int:
    return business_date(stack.now()).year


async def hunan(stack: Stack) -> Alliance:
    return Alliance(await build_hunan_pediatric(api=stack.registry_api()))


async def haikou(stack: Stack) -> Alliance:
    return Alliance(await build_haikou_neurosurgery(api=stack.registry_api()))


async def add_doctor(stack: Stack, alliance: Alliance, key: str, *, institution_id: str, name: str,
                     starts_on: date | None = None) -> dict[str, Any]:
    doctor = await register_doctor(api=stack.registry_api(), institution_id=institution_id, name=name,
                                   starts_on=starts_on)
    alliance.doctors[key] = doctor
    return doctor


# ---- waits for the replicas ---------------------------------------------------------------------------------
async def points_knows_alliance(stack: Stack, alliance: Alliance) -> None:
    """The member unit's admin may read the alliance's boards once points holds the membership."""
    admin = alliance.unit_admin(alliance.member_id(0))

    async def probe() -> int:
        return (await stack.get("/points/leaderboards/collective", admin,
                                params={"alliance_id": alliance.id})).status_code

    await eventually(probe, until=lambda s: s == 200, timeout=60, what="points directory has the alliance")


async def points_knows_doctor(stack: Stack, alliance: Alliance, doctor: dict[str, Any]) -> httpx.Response:
    admin = alliance.unit_admin(doctor["institution_id"])

    async def probe() -> httpx.Response:
        return await stack.get(f"/points/members/{doctor['id']}/balance", admin)

    return await eventually(probe, until=lambda r: r.status_code == 200, timeout=60,
                            what=f"points directory has doctor {doctor['id']}")


async def evaluation_knows_alliance(stack: Stack, alliance: Alliance) -> None:
    async def probe() -> int:
        return (await stack.get(f"/evaluation/alliances/{alliance.id}/periods", alliance.office())).status_code

    await eventually(probe, until=lambda s: s == 200, timeout=60, what="evaluation directory has the alliance")


async def referral_knows(stack: Stack, *doctor_ids: str) -> None:
    async def probe() -> int:
        return int(await stack.sql_value("SELECT count(*) FROM referral.dir_doctors WHERE doctor_id = ANY($1)",
                                         list(doctor_ids)) or 0)

    await eventually(probe, until=lambda n: n == len(doctor_ids), timeout=60, what="referral directory has doctors")


# ---- refusals -------------------------------------------------------------------------------------------------
def refused(response: httpx.Response, *statuses: int, leaks: tuple[str, ...] = ()) -> dict[str, Any]:
    """A refusal: the status, problem+json, problem members only, and none of ``leaks`` anywhere in the body."""
    expected = statuses or (403, 404)
    assert response.status_code in expected, (response.request.method, response.request.url, response.status_code,
                                              response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert set(body) <= PROBLEM_KEYS, body
    for secret in leaks:
        assert secret not in response.text, (secret, response.text)
    return body
