"""The 积分 ledger model: accounts, entries and the builders that are the only sanctioned ways to make them.

Builders take the business inputs (an ``Award``, the original entry, a redemption) and produce an
``Entry`` whose postings are derived, never typed in. ``Balances`` applies entries and guards the
invariants that need state (no negative balance, one reversal per entry, redemption lifecycle).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from libs.kit.errors import InvalidInput

from .accounts import Account, AccountKind, issuing, member, pending, redeemed, unit
from .balances import Balances
from .entries import ALLOWED_FLOWS, Entry, EntryType, Posting, make_postings
from .scheme import Award

__all__ = [
    "ALLOWED_FLOWS", "Account", "AccountKind", "Balances", "Entry", "EntryType", "Posting",
    "adjustment_entry", "award_entry", "issuing", "member", "pending", "redeemed", "redemption_confirm_entry",
    "redemption_hold_entry", "redemption_void_entry", "reversal_entry", "unit",
]


def award_entry(award: Award, *, entry_id: str, alliance_id: str, beneficiary: Account, unit_id: str | None,
                occurred_at: datetime, recorded_at: datetime, source_event_id: str | None = None,
                actor: str | None = None, memo: str | None = None) -> Entry:
    """赋分分录: issuing → member (or unit), recording how the amount was computed.

    The explanation is not stored: it is derivable from the recorded scheme/rule/variant/quantity.
    """
    debit, credit = make_postings(issuing(alliance_id), beneficiary, award.amount)
    return Entry(
        entry_id=entry_id, entry_type=EntryType.AWARD, debit=debit, credit=credit,
        occurred_at=occurred_at, recorded_at=recorded_at, unit_id=unit_id,
        rule_code=award.rule_code, scheme_id=award.scheme_id, scheme_version=award.scheme_version,
        variant=award.variant, quantity=award.quantity, facts=award.facts,
        source_event_id=source_event_id, actor=actor, memo=memo,
    )


def reversal_entry(original: Entry, *, entry_id: str, occurred_at: datetime, recorded_at: datetime,
                   memo: str, amount: Decimal | None = None, actor: str | None = None,
                   unit_id: str | None = None) -> Entry:
    """冲正分录: the mirror of ``original`` (full by default, or a smaller ``amount``).

    By default it keeps the original's unit (reading ``reversal_unit = "original"``) so 集体积分 is
    reduced where it was credited; pass ``unit_id`` for the "current unit" reading.
    """
    value = original.amount if amount is None else amount
    if value > original.amount:
        raise InvalidInput("冲正积分不能超过原分录积分", field="amount")
    debit, credit = make_postings(original.credit.account, original.debit.account, value)
    return Entry(
        entry_id=entry_id, entry_type=EntryType.REVERSAL, debit=debit, credit=credit,
        occurred_at=occurred_at, recorded_at=recorded_at, unit_id=unit_id or original.unit_id,
        rule_code=original.rule_code, scheme_id=original.scheme_id, scheme_version=original.scheme_version,
        variant=original.variant, reverses=original.entry_id, actor=actor, memo=memo,
    )


def redemption_hold_entry(*, entry_id: str, redemption_id: str, doctor_id: str, amount: Decimal,
                          at: datetime, actor: str | None = None) -> Entry:
    """兑换冻结: member → pending of the same doctor, before the prize is handed over."""
    debit, credit = make_postings(member(doctor_id), pending(doctor_id), amount)
    return Entry(entry_id=entry_id, entry_type=EntryType.REDEMPTION_HOLD, debit=debit, credit=credit,
                 occurred_at=at, recorded_at=at, redemption_id=redemption_id, actor=actor)


def redemption_confirm_entry(*, entry_id: str, redemption_id: str, doctor_id: str, alliance_id: str,
                             amount: Decimal, at: datetime, actor: str | None = None,
                             unit_id: str | None = None) -> Entry:
    """兑换确认: pending → redeemed; the points are spent (予以抵扣). ``unit_id`` is informative."""
    debit, credit = make_postings(pending(doctor_id), redeemed(alliance_id), amount)
    return Entry(entry_id=entry_id, entry_type=EntryType.REDEMPTION_CONFIRM, debit=debit, credit=credit,
                 occurred_at=at, recorded_at=at, unit_id=unit_id, redemption_id=redemption_id, actor=actor)


def redemption_void_entry(*, entry_id: str, redemption_id: str, doctor_id: str, amount: Decimal,
                          at: datetime, actor: str | None = None, memo: str | None = None) -> Entry:
    """兑换取消: pending → member; the held points come back."""
    debit, credit = make_postings(pending(doctor_id), member(doctor_id), amount)
    return Entry(entry_id=entry_id, entry_type=EntryType.REDEMPTION_VOID, debit=debit, credit=credit,
                 occurred_at=at, recorded_at=at, redemption_id=redemption_id, actor=actor, memo=memo)


def adjustment_entry(*, entry_id: str, alliance_id: str, account: Account, amount: Decimal, memo: str,
                     occurred_at: datetime, recorded_at: datetime, unit_id: str | None = None,
                     actor: str | None = None) -> Entry:
    """调整分录: a signed correction (positive credits ``account``), e.g. for a closed year."""
    if amount == 0:
        raise InvalidInput("调整积分不能为零", field="amount")
    source, target = (issuing(alliance_id), account) if amount > 0 else (account, issuing(alliance_id))
    debit, credit = make_postings(source, target, abs(amount))
    return Entry(entry_id=entry_id, entry_type=EntryType.ADJUSTMENT, debit=debit, credit=credit,
                 occurred_at=occurred_at, recorded_at=recorded_at, unit_id=unit_id, actor=actor, memo=memo)
