"""Reads (never a GROUP BY over the ledger): balances, statements (积分明细) and leaderboards (积分影响力排行榜).

- balance: the maintained ``balances`` row; as of a past day: the running balance stored on the doctor's last
  entry recorded by the end of that day (Asia/Shanghai);
- statement: the doctor's stream, newest first, keyset-paginated (index ``(stream, stream_version)``), each
  row with its rule label, reason and the running balance after it;
- leaderboards: the ``earnings`` projection through index ``ix_earnings_rank``; competition ranks
  ("1, 2, 2, 4"), ties ordered by id so a page boundary never shuffles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.amounts import from_tenths
from libs.kit.clock import SHANGHAI
from libs.kit.pagination import PageParams, keyset
from services.points.domain.scheme import default_registry
from services.points.persistence.tables import balances, dir_doctors, dir_institutions, earnings, ledger_entries

ENTRY_LABELS = {"award": "赋分", "reversal": "冲正", "redemption_hold": "兑换冻结", "redemption_confirm": "兑换确认",
                "redemption_void": "兑换取消（退回）", "adjustment": "调整"}
AREA_ALIASES = {"管理品牌": "management", "临床技术": "clinical", "科研平台": "research", "人才培养": "talent",
                "国际交流": "international", "加分项": "bonus"}


async def balance(session: AsyncSession, doctor_id: str) -> tuple[Decimal, Decimal]:
    rows = dict((await session.execute(select(balances.c.account, balances.c.balance_tenths).where(
        balances.c.account.in_([f"member:{doctor_id}", f"pending:{doctor_id}"])))).all())
    return from_tenths(rows.get(f"member:{doctor_id}", 0)), from_tenths(rows.get(f"pending:{doctor_id}", 0))


async def balance_as_of(session: AsyncSession, doctor_id: str, day: date) -> Decimal:
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    le = ledger_entries.c
    value = await session.scalar(select(le.balance_after_tenths).where(
        le.stream == f"member:{doctor_id}", le.recorded_at < end).order_by(le.stream_version.desc()).limit(1))
    return from_tenths(value or 0)


async def statement(session: AsyncSession, doctor_id: str, params: PageParams) -> list[dict[str, Any]]:
    le = ledger_entries.c
    stmt = select(le.position, le.stream_version, le.entry_id, le.entry_type, le.alliance_id, le.unit_id,
                  le.debit_account, le.credit_account, le.amount_tenths, le.rule_code, le.scheme_id,
                  le.scheme_version, le.variant, le.quantity, le.area, le.reverses, le.redemption_id, le.memo,
                  le.occurred_at, le.recorded_at, le.business_date, le.balance_after_tenths,
                  le.source_event_id).where(le.stream == f"member:{doctor_id}")
    rows = (await session.execute(keyset(stmt, params, le.stream_version, descending=True))).mappings().all()
    return [statement_line(dict(r), f"member:{doctor_id}") for r in rows]


def statement_line(row: dict[str, Any], stream: str) -> dict[str, Any]:
    amount = from_tenths(row["amount_tenths"])
    delta = amount if row["credit_account"] == stream else -amount if row["debit_account"] == stream else \
        Decimal("0.0")
    return row | {"amount": amount, "delta": delta, "balance_after": from_tenths(row["balance_after_tenths"]),
                  "entry_label": ENTRY_LABELS.get(row["entry_type"], row["entry_type"]),
                  "rule_label": rule_label(row["scheme_id"], row["scheme_version"], row["rule_code"],
                                           row["variant"])}


def rule_label(scheme_id: str | None, version: int | None, rule_code: str | None, variant: str | None) -> str | None:
    if not (scheme_id and version and rule_code):
        return None
    try:
        rule = default_registry().get(scheme_id, version).rules[rule_code]
    except (LookupError, ValueError):
        return rule_code
    chosen = rule.variants.get(variant or "")
    return f"{rule.code} {rule.label_zh}" + (f"（{chosen.label_zh}）" if chosen else "")


def area_code(area: str | None) -> str:
    if area is None or area == "":
        return "*"
    return AREA_ALIASES.get(area.removesuffix("共享"), area)


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    subject: str
    points: Decimal
    name: str | None = None


async def leaderboard(session: AsyncSession, *, alliance_id: str, scope: str, year: int, area: str, page: int,
                      size: int) -> tuple[list[Standing], bool]:
    """One page of standings (with display names, one query) and whether another page follows."""
    e = earnings.c
    where = (e.alliance_id == alliance_id, e.scope == scope, e.year == year, e.area == area, e.points_tenths != 0)
    names = dir_doctors if scope == "member" else dir_institutions
    key = names.c.doctor_id if scope == "member" else names.c.institution_id
    label = names.c.display_name if scope == "member" else names.c.name
    offset = (page - 1) * size
    rows = (await session.execute(
        select(e.subject, e.points_tenths, label).select_from(earnings.outerjoin(names, key == e.subject))
        .where(*where).order_by(e.points_tenths.desc(), e.subject).offset(offset).limit(size + 1))).all()
    page_rows, more = rows[:size], len(rows) > size
    if not page_rows:
        return [], False
    first_rank = 1
    if offset:
        first_rank = 1 + (await session.scalar(select(func.count()).select_from(earnings).where(
            *where, e.points_tenths > page_rows[0][1])) or 0)
    standings: list[Standing] = []
    for index, (subject, tenths, name) in enumerate(page_rows):
        tied = standings and standings[-1].points == from_tenths(tenths)
        rank = standings[-1].rank if tied else (first_rank if index == 0 else offset + index + 1)
        standings.append(Standing(rank, subject, from_tenths(tenths), name))
    return standings, more
