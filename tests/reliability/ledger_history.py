"""The history check for the points ledger (reliability matrix, "Verification"), asked of the real database:

- every acknowledged operation (2xx) is present exactly once in the ledger, every unacknowledged one at most once;
- no half transaction: every ledger entry has exactly one ``entry.recorded`` outbox row and every such row its entry;
- projections rebuilt from the log equal the live ones (``GET /audit/projections/diff``);
- the hash chain and its signed checkpoints verify (``POST /audit/verify``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

import asyncpg
import httpx

from tests.services.points.helpers import auditor


def office_source(ref: str, *, alliance: str = "hn-peds", rule: str = "R16") -> str:
    """``source_event_id`` of an office direct award with ``source_ref`` (services/points/api/awards.py)."""
    return f"office:{alliance}:{rule}:{ref}"


async def check_ledger_history(points: httpx.AsyncClient, database_url: str, *, acknowledged: Iterable[str],
                               unacknowledged: Iterable[str] = ()) -> None:
    """``acknowledged`` / ``unacknowledged``: the ``source_event_id`` of each operation the client sent."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "points"})
    try:
        sources = Counter(r["source_event_id"] for r in await conn.fetch(
            "SELECT source_event_id FROM ledger_entries WHERE source_event_id IS NOT NULL"))
        entries = {r["entry_id"] for r in await conn.fetch("SELECT entry_id FROM ledger_entries")}
        recorded = Counter()
        for row in await conn.fetch("SELECT payload FROM outbox WHERE type = 'alliance.points.entry.recorded'"):
            recorded[json.loads(bytes(row["payload"]))["data"]["entry_id"]] += 1
    finally:
        await conn.close()
    acked, unacked = list(acknowledged), set(unacknowledged)
    assert all(sources[s] == 1 for s in acked), {s: sources[s] for s in acked if sources[s] != 1}
    assert all(sources[s] <= 1 for s in unacked), {s: sources[s] for s in unacked if sources[s] > 1}
    assert set(recorded) == entries and all(n == 1 for n in recorded.values()), "ledger entries and outbox disagree"
    verify = (await points.post("/audit/verify", headers=auditor())).json()
    assert verify["ok"], verify
    diff = (await points.get("/audit/projections/diff", headers=auditor())).json()
    assert diff["ok"], diff
