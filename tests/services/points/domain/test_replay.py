from __future__ import annotations

import dataclasses
from decimal import Decimal

from services.points.domain.ledger import Posting
from services.points.domain.replay import check_award, replay_awards
from services.points.domain.scheme import SCHEMES_DIR, parse_scheme

from .builders import a_hold, a_reversal, an_award, an_award_entry


def _with_amount(entry, amount: str):
    value = Decimal(amount)
    return dataclasses.replace(entry, debit=Posting(entry.debit.account, -value),
                               credit=Posting(entry.credit.account, value))


class TestReplayAwards:
    def test_recomputed_amounts_match(self) -> None:
        entries = [an_award_entry(),
                   an_award_entry(award=an_award(rule="R01b", variant="visit", quantity=3)),
                   an_award_entry(award=an_award(rule="R11", variant="further_study", facts={"duration_months": 9}))]
        report = replay_awards(entries)
        assert report.ok and report.checked == 3

    def test_a_typed_in_amount_is_reported(self) -> None:
        bad = _with_amount(an_award_entry(entry_id="e-bad"), "50.0")
        report = replay_awards([an_award_entry(), bad])
        assert [m.entry_id for m in report.mismatches] == ["e-bad"]
        assert report.mismatches[0].expected == Decimal("5.0")
        assert report.mismatches[0].recorded == Decimal("50.0")

    def test_non_awards_are_skipped(self) -> None:
        original = an_award_entry()
        report = replay_awards([original, a_reversal(original), a_hold(redemption="RD-rp")])
        assert (report.checked, report.skipped) == (1, 2)

    def test_unknown_scheme_version_is_reported(self) -> None:
        entry = dataclasses.replace(an_award_entry(entry_id="e-v9"), scheme_version=9)
        mismatch = check_award(entry)
        assert mismatch is not None and mismatch.expected is None
        assert "无法重算" in mismatch.reason_zh

    def test_a_changed_fact_that_breaks_a_rule_is_reported(self) -> None:
        entry = an_award_entry(award=an_award(rule="R11", variant="further_study", facts={"duration_months": 9}))
        tampered = dataclasses.replace(entry, facts=(("duration_months", 4),))
        mismatch = check_award(tampered)
        assert mismatch is not None and "3至6个月" in mismatch.reason_zh

    def test_uses_the_given_scheme_loader(self) -> None:
        text = (SCHEMES_DIR / "hunan-peds-club-2024.toml").read_text(encoding="utf-8")
        doubled = parse_scheme(text.replace("amount = 5\n", "amount = 6\n"))
        report = replay_awards([an_award_entry()], load=lambda scheme_id, version: doubled)
        assert report.mismatches[0].expected == Decimal("6.0")
