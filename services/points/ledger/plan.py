"""Planning a batch (pure Python, no database): given the chain head and the loaded state, run the guards,
assign positions / stream versions / running balances, build the canonical bytes and hashes, sign the
checkpoints that fall due, and compute every projection change and outbox row — everything the single write
statement needs.

A plan records what it assumed (head, balances and versions of the accounts it touches, closed years, once
keys). The append path plans after taking the lock, so the assumptions hold by construction; the bulk writer
may plan ahead (while the previous batch is being written) and re-plans if, once it holds the lock, the
database differs from what it assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from libs.kit.amounts import from_tenths, to_tenths
from libs.kit.clock import business_date
from services.points.domain.chain import Checkpoint, SignedCheckpoint, link_hash, sign_checkpoint

from .config import LedgerConfig, area_of
from .encoding import canonical_bytes
from .events import outbox_arrays
from .guards import PERSON_KINDS, Check, Loaded, Original, check_batch
from .model import NewEntry, StoredEntry, stream_account
from .projection import Deltas, Move, kind_of, owner_of


@dataclass(slots=True)
class Row:
    new: NewEntry
    stream: str
    area: str | None
    day: date
    tenths: int
    debit: str
    credit: str
    position: int = 0
    version: int = 0
    balance_after: int = 0
    canonical: bytes = b""
    prev_hash: bytes = b""
    hash: bytes = b""

    @property
    def year(self) -> int:
        return self.day.year


@dataclass
class Head:
    position: int
    hash: bytes
    checkpoint_position: int


@dataclass
class Plan:
    rows: list[Row]
    head: Head  # assumed head before the batch
    loaded: Loaded  # assumed state of what the batch touches
    after: Head = field(default_factory=lambda: Head(0, b"", 0))
    stored: list[StoredEntry] = field(default_factory=list)
    records: list[tuple[object, ...]] = field(default_factory=list)
    params: list[object] = field(default_factory=list)  # the write statement's, ledger columns excluded
    balances_after: dict[str, tuple[int, int]] = field(default_factory=dict)


def prepare(new: NewEntry) -> Row:
    entry = new.entry
    return Row(new=new, stream=str(stream_account(entry)),
               area=area_of(entry.scheme_id, entry.scheme_version, entry.rule_code),
               day=business_date(entry.occurred_at), tenths=to_tenths(entry.amount),
               debit=str(entry.debit.account), credit=str(entry.credit.account))


def accounts_of(rows: list[Row]) -> set[str]:
    """The accounts whose balance or version the batch must know: streams and person accounts."""
    return {r.stream for r in rows} | {a for r in rows for a in (r.debit, r.credit) if kind_of(a) in PERSON_KINDS}


def make_plan(rows: list[Row], loaded: Loaded, head: Head, config: LedgerConfig) -> Plan:
    check_batch([_check(r) for r in rows], loaded)
    plan = Plan(rows=rows, head=head, loaded=loaded)
    checkpoints = _chain(plan, config)
    deltas = projection_deltas(rows, loaded, config)
    signed = [sign_checkpoint(cp, config.key.private) for cp in checkpoints]
    last = rows[-1]
    plan.after = Head(last.position, last.hash,
                      signed[-1].checkpoint.position if signed else head.checkpoint_position)
    plan.stored = [_stored(r) for r in rows]
    plan.records = [_record(r) for r in rows]
    plan.params = _params(plan, deltas, signed, config)
    return plan


def _check(row: Row) -> Check:
    e = row.new.entry
    return Check(entry_id=e.entry_id, entry_type=e.entry_type.value, debit=row.debit, credit=row.credit,
                 tenths=row.tenths, alliance_id=row.new.alliance_id, year=row.year, reverses=e.reverses,
                 redemption_id=e.redemption_id, once_key=row.new.once_key, occurred_at=e.occurred_at)


def _chain(plan: Plan, config: LedgerConfig) -> list[Checkpoint]:
    """Positions, stream versions, running balances, canonical bytes and hashes, in batch order."""
    position, prev = plan.head.position, plan.head.hash
    balances = {a: b for a, (b, _) in plan.loaded.balances.items()}
    versions = {a: v for a, (_, v) in plan.loaded.balances.items()}
    due: list[Checkpoint] = []
    now = config.clock.now()
    every = config.checkpoint_every
    for row in plan.rows:
        position += 1
        balances[row.debit] = balances.get(row.debit, 0) - row.tenths
        balances[row.credit] = balances.get(row.credit, 0) + row.tenths
        versions[row.stream] = versions.get(row.stream, 0) + 1
        row.position, row.version, row.balance_after = position, versions[row.stream], balances.get(row.stream, 0)
        row.canonical = canonical_bytes(row.new.entry, position)
        row.prev_hash, row.hash = prev, link_hash(prev, row.canonical)
        prev = row.hash
        if position % every == 0:
            due.append(Checkpoint(position, row.hash, position, now))
    plan.balances_after = {a: (balances.get(a, 0), versions.get(a, 0)) for a in accounts_of(plan.rows)}
    return due


def projection_deltas(rows: list[Row], loaded: Loaded, config: LedgerConfig) -> Deltas:
    originals = dict(loaded.originals)
    deltas = Deltas(config.policy)
    for row in rows:
        e = row.new.entry
        kind = e.entry_type.value
        released = None
        if e.reverses:
            original = originals.get(e.reverses)
            if original is not None and original.once_key:
                released = (original.credit, original.once_key)
        deltas.add(Move(e.entry_id, kind, row.debit, row.credit, row.tenths, e.unit_id, row.new.alliance_id,
                        row.year, row.area, row.new.once_key, released))
        if kind in ("award", "adjustment"):
            originals[e.entry_id] = Original(kind, row.debit, row.credit, row.tenths, row.new.once_key)
    return deltas


def _params(plan: Plan, deltas: Deltas, signed: list[SignedCheckpoint], config: LedgerConfig) -> list[object]:
    versions = {r.stream: r.version for r in plan.rows}
    params: list[object] = []
    params += _balance_arrays(deltas, plan.loaded, versions)
    params += _columns([(*k, v) for k, v in deltas.earnings.items()], 6)
    params += _columns([(*k, v) for k, v in deltas.flows.items()], 4)
    params += _columns([(*k, v) for k, v in deltas.year_stats.items()], 3)
    params += _columns([(*k, v) for k, v in deltas.once_add.items()], 3)
    params += _columns(sorted(deltas.once_del), 2)
    params += _columns([(s.checkpoint.position, s.checkpoint.head_hash, s.checkpoint.count, s.checkpoint.created_at,
                         s.signature, config.key.key_id) for s in signed], 6)
    params += outbox_arrays(plan.stored, config)
    params += [plan.after.position, plan.after.hash, plan.after.checkpoint_position, config.notify_channel]
    return params


def _balance_arrays(deltas: Deltas, loaded: Loaded, versions: dict[str, int]) -> list[object]:
    """Person accounts (and every stream): absolute new balance and version; others: deltas."""
    absolute: list[tuple[object, ...]] = []
    relative: list[tuple[object, ...]] = []
    for account in set(deltas.balances) | set(versions):
        kind, owner = kind_of(account), owner_of(account)
        before, version = loaded.balances.get(account, (0, 0))
        delta = deltas.balances.get(account, 0)
        if kind in PERSON_KINDS:
            absolute.append((account, kind, owner, before + delta, versions.get(account, version)))
        else:
            relative.append((account, kind, owner, delta, 0))
    return _columns(absolute, 5) + _columns(relative, 5)


def _columns(rows: list[tuple[object, ...]], width: int) -> list[object]:
    if not rows:
        return [() for _ in range(width)]
    return list(zip(*rows, strict=True))


def _record(row: Row) -> tuple[object, ...]:
    e, new = row.new.entry, row.new
    doctor = owner_of(row.stream) if row.stream.startswith("member:") else None
    return (row.position, e.entry_id, row.stream, row.version, e.entry_type.value, new.alliance_id, doctor,
            e.unit_id, row.debit, row.credit, row.tenths, e.rule_code, e.scheme_id, e.scheme_version, e.variant,
            e.quantity, row.area, e.reverses, e.redemption_id, e.source_event_id, new.once_key, e.actor, e.memo,
            e.occurred_at, e.recorded_at, row.day, row.balance_after, row.canonical, row.prev_hash, row.hash)


def _stored(row: Row) -> StoredEntry:
    e = row.new.entry
    return StoredEntry(entry=e, alliance_id=row.new.alliance_id, position=row.position, stream=row.stream,
                       stream_version=row.version, business_date=row.day,
                       balance_after=from_tenths(row.balance_after), prev_hash=row.prev_hash, hash=row.hash,
                       area=row.area)
