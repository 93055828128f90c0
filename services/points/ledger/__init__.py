"""The 积分 ledger's write path and audit tooling. The public API for other parts of the points service::

    from services.points.ledger import NewEntry, append_entries, new_award

    stored = await append_entries(session, [new_award(award, alliance_id=..., doctor_id=..., unit_id=...,
                                                      occurred_at=..., recorded_at=runtime.clock.now(),
                                                      source_event_id="claim:<claim id>", actor=...)],
                                  config=runtime.ledger)

See ``docs/ledger.md`` for the design (lock, chain, projections, checkpoints, export format).
"""

from services.points.ledger.append import append_entries, raw_connection
from services.points.ledger.config import LedgerConfig
from services.points.ledger.model import NewEntry, StoredEntry, new_award, new_entry_id

__all__ = ["LedgerConfig", "NewEntry", "StoredEntry", "append_entries", "new_award", "new_entry_id",
           "raw_connection"]
