from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.kit.errors import Conflict, InvalidInput, NotFound
from services.points.domain.ledger import (
    Account,
    AccountKind,
    Balances,
    Entry,
    EntryType,
    Posting,
    issuing,
    member,
    pending,
    redeemed,
    unit,
)

from .builders import (
    ALLIANCE,
    T0,
    a_confirm,
    a_hold,
    a_reversal,
    a_void,
    an_adjustment,
    an_award,
    an_award_entry,
    next_id,
)


def _raw_entry(*, kind: EntryType, source: Account, target: Account, amount: str = "2.0", **extra) -> Entry:
    value = Decimal(amount)
    return Entry(entry_id=next_id(), entry_type=kind, debit=Posting(source, -value), credit=Posting(target, value),
                 occurred_at=T0, recorded_at=T0, **extra)


class TestAccount:
    def test_renders_and_parses(self) -> None:
        assert str(member("D1")) == "member:D1"
        assert Account.parse("issuing:hn-peds") == issuing("hn-peds")

    @pytest.mark.parametrize("text", ["member", "wallet:D1", "member:", "member:a b"])
    def test_refuses_bad_text(self, text: str) -> None:
        with pytest.raises(InvalidInput):
            Account.parse(text)

    def test_person_accounts_are_guarded(self) -> None:
        assert AccountKind.MEMBER.holds_points_of_a_person
        assert not AccountKind.ISSUING.holds_points_of_a_person


class TestPostings:
    def test_award_postings_sum_to_zero(self) -> None:
        entry = an_award_entry()
        assert sum(p.amount for p in entry.postings) == 0
        assert entry.debit.account == issuing(ALLIANCE) and entry.credit.account == member("D1")
        assert entry.amount == Decimal("5.0")

    def test_award_records_how_it_was_computed(self) -> None:
        entry = an_award_entry(award=an_award(rule="R11", variant="further_study", facts={"duration_months": 7}))
        assert (entry.rule_code, entry.scheme_version, entry.variant, entry.quantity) == ("R11", 1, "further_study", 1)
        assert entry.facts == (("duration_months", 7),)

    def test_member_to_member_transfer_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as err:
            _raw_entry(kind=EntryType.ADJUSTMENT, source=member("D1"), target=member("D2"), memo="x")
        assert "不能转让" in err.value.detail

    @pytest.mark.parametrize(("kind", "source", "target"), [
        (EntryType.AWARD, member("D1"), issuing(ALLIANCE)),
        (EntryType.REDEMPTION_HOLD, member("D1"), redeemed(ALLIANCE)),
        (EntryType.REDEMPTION_CONFIRM, member("D1"), redeemed(ALLIANCE)),
        (EntryType.REDEMPTION_HOLD, member("D1"), pending("D2")),
    ])
    def test_flows_outside_the_table_are_refused(self, kind, source, target) -> None:
        with pytest.raises(InvalidInput):
            _raw_entry(kind=kind, source=source, target=target, redemption_id="RD9", rule_code="R01a",
                       scheme_id="s", scheme_version=1, variant="v", quantity=1)

    def test_unbalanced_postings_are_refused(self) -> None:
        with pytest.raises(InvalidInput):
            Entry(entry_id="x", entry_type=EntryType.ADJUSTMENT, debit=Posting(issuing(ALLIANCE), Decimal("-2.0")),
                  credit=Posting(member("D1"), Decimal("1.0")), occurred_at=T0, recorded_at=T0, memo="m")

    def test_more_than_one_decimal_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            Posting(member("D1"), Decimal("0.25"))

    def test_float_amount_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            Posting(member("D1"), 0.5)  # type: ignore[arg-type]

    def test_naive_time_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as err:
            an_award_entry(at=datetime(2024, 5, 1))
        assert err.value.field == "occurred_at"

    def test_award_without_rule_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            _raw_entry(kind=EntryType.AWARD, source=issuing(ALLIANCE), target=member("D1"))

    def test_adjustment_needs_a_reason(self) -> None:
        with pytest.raises(InvalidInput) as err:
            _raw_entry(kind=EntryType.ADJUSTMENT, source=issuing(ALLIANCE), target=member("D1"))
        assert err.value.field == "memo"

    def test_negative_adjustment_debits_the_member(self) -> None:
        entry = an_adjustment(amount="-2.0")
        assert entry.debit.account == member("D1") and entry.amount == Decimal("2.0")

    def test_unit_award_is_allowed(self) -> None:
        entry = an_award_entry(beneficiary=unit("U9"))
        assert entry.credit.account == unit("U9")


class TestBalancesApply:
    def test_award_credits_the_member(self) -> None:
        balances = Balances.replay([an_award_entry(), an_award_entry()])
        assert balances.member_balance("D1") == Decimal("10.0")
        assert balances.balance(issuing(ALLIANCE)) == Decimal("-10.0")
        assert balances.total() == 0

    def test_same_entry_twice_is_refused(self) -> None:
        entry = an_award_entry()
        balances = Balances.replay([entry])
        with pytest.raises(Conflict):
            balances.apply(entry)

    def test_negative_adjustment_beyond_balance_is_refused(self) -> None:
        balances = Balances.replay([an_award_entry()])
        with pytest.raises(Conflict) as err:
            balances.apply(an_adjustment(amount="-6.0"))
        assert "积分余额不足" in err.value.detail
        assert balances.member_balance("D1") == Decimal("5.0")


class TestReversal:
    def test_reverses_the_original(self) -> None:
        original = an_award_entry()
        balances = Balances.replay([original, a_reversal(original)])
        assert balances.member_balance("D1") == 0

    def test_twice_is_refused(self) -> None:
        original = an_award_entry()
        balances = Balances.replay([original, a_reversal(original, amount=Decimal("1.0"))])
        with pytest.raises(Conflict) as err:
            balances.apply(a_reversal(original, amount=Decimal("1.0")))
        assert "不能重复冲正" in err.value.detail

    def test_more_than_the_original_is_refused(self) -> None:
        original = an_award_entry()
        with pytest.raises(InvalidInput):
            a_reversal(original, amount=Decimal("6.0"))

    def test_unknown_original_is_not_found(self) -> None:
        original = an_award_entry()
        with pytest.raises(NotFound):
            Balances().apply(a_reversal(original))

    def test_a_reversal_cannot_be_reversed(self) -> None:
        original = an_award_entry()
        reversal = a_reversal(original)
        with pytest.raises(InvalidInput):
            a_reversal(reversal)  # reversal → its mirror is an issuing→member "reversal": not a valid flow

    def test_after_redemption_it_cannot_drive_the_balance_negative(self) -> None:
        original = an_award_entry()
        balances = Balances.replay([original, a_hold(amount="5.0", redemption="RD-r1")])
        with pytest.raises(Conflict) as err:
            balances.apply(a_reversal(original))
        assert "积分余额不足" in err.value.detail

    def test_keeps_the_unit_of_the_original(self) -> None:
        original = an_award_entry(unit="U7")
        assert a_reversal(original).unit_id == "U7"


class TestRedemption:
    def test_hold_then_confirm_spends_points(self) -> None:
        balances = Balances.replay([an_award_entry(), a_hold(redemption="RD-a"), a_confirm(redemption="RD-a")])
        assert balances.member_balance("D1") == 0
        assert balances.pending_balance("D1") == 0
        assert balances.balance(redeemed(ALLIANCE)) == Decimal("5.0")

    def test_hold_then_void_returns_points(self) -> None:
        balances = Balances.replay([an_award_entry(), a_hold(redemption="RD-b"), a_void(redemption="RD-b")])
        assert balances.member_balance("D1") == Decimal("5.0")

    def test_hold_beyond_balance_is_refused(self) -> None:
        balances = Balances.replay([an_award_entry()])
        with pytest.raises(Conflict) as err:
            balances.apply(a_hold(amount="100.0", redemption="RD-c"))
        assert "积分余额不足，无法兑换" in err.value.detail

    def test_confirm_without_hold_is_not_found(self) -> None:
        with pytest.raises(NotFound):
            Balances().apply(a_confirm(redemption="RD-d"))

    def test_confirm_after_void_is_refused(self) -> None:
        balances = Balances.replay([an_award_entry(), a_hold(redemption="RD-e"), a_void(redemption="RD-e")])
        with pytest.raises(Conflict):
            balances.apply(a_confirm(redemption="RD-e"))

    def test_confirm_of_another_amount_is_refused(self) -> None:
        balances = Balances.replay([an_award_entry(), a_hold(redemption="RD-f")])
        with pytest.raises(Conflict):
            balances.apply(a_confirm(amount="4.0", redemption="RD-f"))

    def test_same_redemption_cannot_hold_twice(self) -> None:
        balances = Balances.replay([an_award_entry(), an_award_entry(), a_hold(redemption="RD-g")])
        with pytest.raises(Conflict):
            balances.apply(a_hold(redemption="RD-g"))


_operations = st.lists(st.tuples(st.sampled_from(["award", "hold", "confirm", "void", "debit"]),
                                 st.sampled_from(["D1", "D2"]), st.integers(min_value=1, max_value=80)),
                       max_size=40)


class TestBalancesProperties:
    @settings(max_examples=150, deadline=None)
    @given(_operations)
    def test_never_negative_and_always_balanced(self, operations) -> None:
        balances, open_holds = Balances(), dict[str, tuple[str, str]]()
        for op, doctor, tenths in operations:
            entry = _entry_for(op, doctor, tenths, open_holds)
            if entry is None:
                continue
            try:
                balances.apply(entry)
            except Conflict:
                continue
            _track_holds(op, doctor, entry, open_holds)
            assert balances.total() == 0
            for d in ("D1", "D2"):
                assert balances.member_balance(d) >= 0 and balances.pending_balance(d) >= 0


def _entry_for(op: str, doctor: str, tenths: int, open_holds: dict) -> Entry | None:
    amount = str(Decimal(tenths) / 10)
    if op == "award":
        return an_award_entry(doctor=doctor)
    if op == "debit":
        return an_adjustment(account=member(doctor), amount=f"-{amount}")
    if op == "hold":
        return a_hold(doctor=doctor, amount=amount, redemption=next_id("RD"))
    held = open_holds.get(doctor)
    if held is None:
        return None
    builder = a_confirm if op == "confirm" else a_void
    return builder(doctor=doctor, amount=held[1], redemption=held[0])


def _track_holds(op: str, doctor: str, entry: Entry, open_holds: dict) -> None:
    if op == "hold":
        open_holds[doctor] = (entry.redemption_id, str(entry.amount))
    elif op in ("confirm", "void"):
        open_holds.pop(doctor, None)
