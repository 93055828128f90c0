"""The SQL of the append path (raw asyncpg: the write path skips the ORM entirely).

A batch is written in ONE statement: data-modifying CTEs insert the ledger rows (``unnest`` of column
arrays, or a preceding COPY for big batches), upsert every projection, insert checkpoints and outbox rows,
move the head and notify the relay. One round trip whatever the batch size; the texts are constant, so
asyncpg prepares each once per connection.
"""

from __future__ import annotations

LEDGER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("position", "bigint"), ("entry_id", "text"), ("stream", "text"), ("stream_version", "int"),
    ("entry_type", "text"), ("alliance_id", "text"), ("doctor_id", "text"), ("unit_id", "text"),
    ("debit_account", "text"), ("credit_account", "text"), ("amount_tenths", "bigint"), ("rule_code", "text"),
    ("scheme_id", "text"), ("scheme_version", "int"), ("variant", "text"), ("quantity", "int"), ("area", "text"),
    ("reverses", "text"), ("redemption_id", "text"), ("source_event_id", "text"), ("once_key", "text"),
    ("actor", "text"), ("memo", "text"), ("occurred_at", "timestamptz"), ("recorded_at", "timestamptz"),
    ("business_date", "date"), ("balance_after_tenths", "bigint"), ("canonical", "bytea"), ("prev_hash", "bytea"),
    ("hash", "bytea"),
)
LEDGER_NAMES = tuple(name for name, _ in LEDGER_COLUMNS)

LOCK_HEAD = "SELECT position, head_hash, checkpoint_position FROM ledger_head WHERE id = 1 FOR UPDATE"

LOAD_BALANCES = "SELECT account, balance_tenths, version FROM balances WHERE account = ANY($1::text[])"
LOAD_CLOSED = "SELECT alliance_id, year FROM year_closes WHERE alliance_id = ANY($1::text[])"
LOAD_SOURCES = "SELECT source_event_id FROM ledger_entries WHERE source_event_id = ANY($1::text[])"
LOAD_ORIGINALS = ("SELECT entry_id, entry_type, debit_account, credit_account, amount_tenths, once_key "
                  "FROM ledger_entries WHERE entry_id = ANY($1::text[])")
LOAD_REVERSED = "SELECT reverses FROM ledger_entries WHERE reverses = ANY($1::text[])"
LOAD_REDEMPTIONS = ("SELECT redemption_id, entry_type, debit_account, credit_account, amount_tenths "
                    "FROM ledger_entries WHERE redemption_id = ANY($1::text[]) ORDER BY position")
LOAD_ONCE = ("SELECT o.account, o.once_key FROM once_keys o "
             "JOIN unnest($1::text[], $2::text[]) AS k(account, once_key) USING (account, once_key)")
LOAD_DUPLICATES = (f"SELECT {', '.join(LEDGER_NAMES)} FROM ledger_entries "
                   "WHERE source_event_id = ANY($1::text[])")


class _Params:
    """Numbers ``$n`` placeholders in the order the values are added."""

    def __init__(self) -> None:
        self.count = 0

    def arrays(self, types: list[str]) -> str:
        placeholders = []
        for kind in types:
            self.count += 1
            placeholders.append(f"${self.count}::{kind}[]")
        return ", ".join(placeholders)

    def scalar(self, kind: str) -> str:
        self.count += 1
        return f"${self.count}::{kind}"


def _write_statement(with_ledger: bool) -> str:
    p = _Params()
    ctes = []
    if with_ledger:
        ctes.append(f"led AS (INSERT INTO ledger_entries ({', '.join(LEDGER_NAMES)}) "
                    f"SELECT * FROM unnest({p.arrays([t for _, t in LEDGER_COLUMNS])}))")
    ctes += [
        # Person accounts carry their new absolute balance (known under the lock): a CHECK is evaluated on
        # the proposed row before ON CONFLICT, so a negative delta could not be upserted into them.
        f"pbl AS (INSERT INTO balances AS b (account, kind, owner, balance_tenths, version) "
        f"SELECT * FROM unnest({p.arrays(['text', 'text', 'text', 'bigint', 'int'])}) "
        "ON CONFLICT (account) DO UPDATE SET balance_tenths = EXCLUDED.balance_tenths, version = EXCLUDED.version)",
        # Issuing and redeemed accounts (may be negative, never read on the hot path) take deltas.
        f"bal AS (INSERT INTO balances AS b (account, kind, owner, balance_tenths, version) "
        f"SELECT * FROM unnest({p.arrays(['text', 'text', 'text', 'bigint', 'int'])}) "
        "ON CONFLICT (account) DO UPDATE SET balance_tenths = b.balance_tenths + EXCLUDED.balance_tenths)",
        f"ear AS (INSERT INTO earnings AS e (alliance_id, scope, year, area, subject, points_tenths) "
        f"SELECT * FROM unnest({p.arrays(['text', 'text', 'smallint', 'text', 'text', 'bigint'])}) "
        "ON CONFLICT (alliance_id, scope, year, area, subject) "
        "DO UPDATE SET points_tenths = e.points_tenths + EXCLUDED.points_tenths)",
        f"flo AS (INSERT INTO flows AS f (alliance_id, year, kind, net_tenths) "
        f"SELECT * FROM unnest({p.arrays(['text', 'smallint', 'text', 'bigint'])}) "
        "ON CONFLICT (alliance_id, year, kind) DO UPDATE SET net_tenths = f.net_tenths + EXCLUDED.net_tenths)",
        f"yst AS (INSERT INTO year_stats AS y (alliance_id, year, entries) "
        f"SELECT * FROM unnest({p.arrays(['text', 'smallint', 'bigint'])}) "
        "ON CONFLICT (alliance_id, year) DO UPDATE SET entries = y.entries + EXCLUDED.entries)",
        f"onc AS (INSERT INTO once_keys (account, once_key, entry_id) "
        f"SELECT * FROM unnest({p.arrays(['text', 'text', 'text'])}) "
        # A key released by a reversal and taken again in the same batch: the guards allowed it.
        "ON CONFLICT (account, once_key) DO UPDATE SET entry_id = EXCLUDED.entry_id)",
        f"ond AS (DELETE FROM once_keys o USING unnest({p.arrays(['text', 'text'])}) AS d(account, once_key) "
        "WHERE o.account = d.account AND o.once_key = d.once_key)",
        f"chk AS (INSERT INTO ledger_checkpoints (position, head_hash, count, created_at, signature, key_id) "
        f"SELECT * FROM unnest({p.arrays(['bigint', 'bytea', 'bigint', 'timestamptz', 'bytea', 'text'])}))",
        f"obx AS (INSERT INTO outbox (event_id, subject, type, payload, headers) "
        f"SELECT x.e, x.s, x.t, x.p, x.h::jsonb FROM unnest({p.arrays(['text', 'text', 'text', 'bytea', 'text'])}) "
        "AS x(e, s, t, p, h))",
    ]
    head = (f"hd AS (UPDATE ledger_head SET position = {p.scalar('bigint')}, head_hash = {p.scalar('bytea')}, "
            f"checkpoint_position = {p.scalar('bigint')} WHERE id = 1)")
    ctes.append(head)
    return "WITH " + ",\n".join(ctes) + f"\nSELECT pg_notify({p.scalar('text')}, '')"


WRITE_WITH_LEDGER = _write_statement(True)
WRITE_AFTER_COPY = _write_statement(False)
