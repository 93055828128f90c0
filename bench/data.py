"""Deterministic generated data: alliances, member units and doctors, and the award stream of the big ledger.

Same seed → same directory and the same award lines (rule, variant, doctor, date, source id), so the cached
ledger is reproducible in content (entry ids and hence hashes are the project's own UUIDv7s and differ).

Shape (full scale): 20 alliances, 2,000 units (100 per alliance; the first is the lead unit), 200,000 doctors
(100 per unit). Awards follow a skew: 30 % of the activity comes from 5 % of the doctors, the rest is uniform.
Dates run through 2024-04-15 … 2025-12-31 (Asia/Shanghai), in position order, like a chronological import.

The directory is written straight into each service's replica tables (``dir_*`` of points and referral) with
COPY: at 200,000 doctors, feeding registry events one by one would dominate the run and is not what is being
measured.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import asyncpg

from bench.config import Scale

SCHEME_ID = "hunan-peds-club-2024"
JOINED = date(2024, 1, 1)
START = datetime(2024, 4, 15, 0, 0, tzinfo=timezone(timedelta(hours=8))).astimezone(timezone.utc)
END = datetime(2025, 12, 31, 12, 0, tzinfo=timezone(timedelta(hours=8))).astimezone(timezone.utc)
# (rule, variant, weight): the platform-fed rules of the scheme (no facts needed), mixed like a year of activity.
RULE_MIX: tuple[tuple[str, str, int], ...] = (
    ("R02b", "outpatient", 30), ("R02b", "inpatient", 15), ("R02a", "booking", 15), ("R02c", "receive", 10),
    ("R02d", "inpatient", 2), ("R05", "consult", 10), ("R05", "remote_ecg", 8), ("R05", "remote_imaging", 5),
    ("R03c", "participation", 5),
)
GENERATOR_VERSION = "1"  # part of the cache key: bump when the generated content changes


def alliance_id(a: int) -> str:
    return f"ba-{a:02d}"


def unit_id(u: int) -> str:
    return f"bu-{u:05d}"


def doctor_id(d: int) -> str:
    return f"bd-{d:06d}"


@dataclass(frozen=True)
class Directory:
    scale: Scale

    @property
    def units_per_alliance(self) -> int:
        return self.scale.units // self.scale.alliances

    def alliance_of_unit(self, u: int) -> int:
        return u % self.scale.alliances

    def unit_of_doctor(self, d: int) -> int:
        return d % self.scale.units

    def alliance_of_doctor(self, d: int) -> int:
        return self.alliance_of_unit(self.unit_of_doctor(d))

    def is_lead(self, u: int) -> bool:
        return u < self.scale.alliances  # unit a is the lead of alliance a

    def lead_unit(self, a: int) -> int:
        return a

    def member_unit(self, a: int, j: int) -> int:
        """The j-th non-lead member unit of alliance ``a`` (j ≥ 0)."""
        others = max(1, self.units_per_alliance - 1)
        return a + self.scale.alliances * (1 + j % others)

    def member_doctor(self, a: int, k: int) -> int:
        """The k-th doctor (k ≥ 0) of alliance ``a`` working at a non-lead member unit."""
        others = max(1, self.units_per_alliance - 1)
        per_unit = max(1, self.scale.doctors // self.scale.units)
        return self.member_unit(a, k % others) + self.scale.units * (k // others % per_unit)

    def lead_doctor(self, a: int) -> int:
        return self.lead_unit(a)  # doctor a works at unit a


async def load_directory(conn: asyncpg.Connection, scale: Scale, schemas: tuple[str, ...] = ("points", "referral")
                         ) -> None:
    """COPY the generated directory into the replica tables of ``schemas`` (owner connection)."""
    directory = Directory(scale)
    alliances = [(alliance_id(a), f"基准测试专科联盟{a:02d}", "430000") for a in range(scale.alliances)]
    units = [(unit_id(u), f"基准测试医院{u:05d}", "430100") for u in range(scale.units)]
    memberships = [(alliance_id(directory.alliance_of_unit(u)), unit_id(u),
                    "lead" if directory.is_lead(u) else "member") for u in range(scale.units)]
    doctors = [(doctor_id(d), f"医师{d:06d}", unit_id(directory.unit_of_doctor(d))) for d in range(scale.doctors)]
    if "points" in schemas:
        await conn.copy_records_to_table("dir_alliances", schema_name="points", records=[
            (a, n, r, "filed", True) for a, n, r in alliances],
            columns=["alliance_id", "name", "region_code", "status", "operating"])
        await conn.copy_records_to_table("dir_institutions", schema_name="points", records=units,
                                         columns=["institution_id", "name", "region_code"])
        await conn.copy_records_to_table("dir_memberships", schema_name="points", records=[
            (a, u, role, JOINED) for a, u, role in memberships],
            columns=["alliance_id", "institution_id", "role", "joined_on"])
        await conn.copy_records_to_table("dir_doctors", schema_name="points", records=doctors,
                                         columns=["doctor_id", "display_name", "institution_id"])
        await conn.copy_records_to_table("dir_doctor_units", schema_name="points", records=[
            (d, JOINED, u) for d, _, u in doctors], columns=["doctor_id", "from_date", "institution_id"])
    if "referral" in schemas:
        await conn.copy_records_to_table("dir_alliances", schema_name="referral", records=[
            (a, n, r, "filed", True) for a, n, r in alliances],
            columns=["alliance_id", "name", "region_code", "status", "operating"])
        await conn.copy_records_to_table("dir_institutions", schema_name="referral", records=units,
                                         columns=["institution_id", "name", "region_code"])
        await conn.copy_records_to_table("dir_memberships", schema_name="referral", records=[
            (a, u, role, True, JOINED) for a, u, role in memberships],
            columns=["alliance_id", "institution_id", "role", "active", "effective_date"])
        await conn.copy_records_to_table("dir_doctors", schema_name="referral", records=[
            (d, u, n, JOINED) for d, n, u in doctors],
            columns=["doctor_id", "institution_id", "display_name", "effective_date"])
    for schema in schemas:
        await conn.execute(f"ANALYZE {schema}.dir_doctors")


def award_lines(scale: Scale, seed: int, count: int, *, tag: str = "ledger", start: datetime = START,
                end: datetime = END) -> Iterator[dict[str, Any]]:
    """``count`` award lines in the bulk importer's NDJSON shape, deterministic for (scale, seed, tag)."""
    rng = random.Random(f"{seed}:{tag}:{scale.name}")
    directory = Directory(scale)
    hot = max(1, scale.doctors // 20)
    hot_doctors = rng.sample(range(scale.doctors), hot)
    rules = [(r, v) for r, v, _ in RULE_MIX]
    weights = [w for _, _, w in RULE_MIX]
    cumulative = []
    total = 0
    for w in weights:
        total += w
        cumulative.append(total)
    span = (end - start).total_seconds()
    step = span / max(count, 1)
    for i in range(count):
        d = hot_doctors[rng.randrange(hot)] if rng.random() < 0.3 else rng.randrange(scale.doctors)
        pick = rng.random() * total
        k = 0
        while cumulative[k] <= pick:
            k += 1
        rule, variant = rules[k]
        yield {"alliance_id": alliance_id(directory.alliance_of_doctor(d)), "doctor_id": doctor_id(d),
               "unit_id": unit_id(directory.unit_of_doctor(d)), "rule": rule, "variant": variant,
               "occurred_at": (start + timedelta(seconds=i * step)).isoformat(),
               "source_event_id": f"bench:{tag}:{seed}:{i}"}
