"""Scales of a benchmark run. ``full`` is the issue's scale; ``small`` is a quick look; ``tiny`` proves the harness
works (the pytest smoke test). Every figure in the results says which scale produced it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

DEFAULT_SEED = 20240415  # the day the Hunan club scheme came into force


@dataclass(frozen=True)
class Scale:
    name: str
    alliances: int
    units: int
    doctors: int
    ledger_entries: int  # the cached ledger of the read / audit scenarios
    bulk_entries: int  # per bulk-ingestion run (fresh database each run)
    runs: int  # repetitions of the repeatable measurements (median reported)
    load_seconds: float  # duration of one closed-loop load run (gateway, bare endpoint)
    clients: int  # concurrent clients of the gateway / bare endpoint scenario
    webhook_rate: float  # events/s of the sustained webhook scenario
    webhook_seconds: float
    redemption_clients: int
    redemption_balance_points: int  # the contended member's balance (tier-100 prizes)
    read_requests: int  # requests per read scenario run
    read_clients: int
    insert_loop_rows: int
    copy_rows: int
    jetstream_messages: int
    batch: int = 10_000  # entries per bulk transaction (POINTS_BULK_BATCH default)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", alliances=2, units=20, doctors=200, ledger_entries=2_000, bulk_entries=2_000, runs=1,
                  load_seconds=1.0, clients=4, webhook_rate=20, webhook_seconds=1.0, redemption_clients=4,
                  redemption_balance_points=1_000, read_requests=20, read_clients=2, insert_loop_rows=200,
                  copy_rows=2_000, jetstream_messages=50, batch=1_000),
    "small": Scale("small", alliances=20, units=200, doctors=20_000, ledger_entries=200_000, bulk_entries=100_000,
                   runs=3, load_seconds=8.0, clients=64, webhook_rate=200, webhook_seconds=10.0,
                   redemption_clients=32, redemption_balance_points=100_000, read_requests=1_000, read_clients=8,
                   insert_loop_rows=2_000, copy_rows=200_000, jetstream_messages=2_000),
    "full": Scale("full", alliances=20, units=2_000, doctors=200_000, ledger_entries=10_000_000,
                  bulk_entries=200_000, runs=3, load_seconds=15.0, clients=64, webhook_rate=200, webhook_seconds=20.0,
                  redemption_clients=64, redemption_balance_points=100_000, read_requests=2_000, read_clients=8,
                  insert_loop_rows=5_000, copy_rows=500_000, jetstream_messages=5_000),
}
