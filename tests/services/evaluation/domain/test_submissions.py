"""Versioned submissions: a newer version supersedes the older."""

from __future__ import annotations

from datetime import datetime

import pytest

from libs.kit.clock import SHANGHAI
from libs.kit.errors import Conflict, InvalidInput
from services.evaluation.domain.submissions import Submission, add_submission, current_version


def version(n: int, *, day: int = 2, unit_id: str = "chc-1", period_key: str = "2024-01") -> Submission:
    return Submission("monthly-operations", unit_id, period_key, n, datetime(2024, 2, day, 9, tzinfo=SHANGHAI))


class TestAddSubmission:
    def test_next_version_supersedes(self) -> None:
        versions = add_submission(add_submission((), version(1)), version(2, day=5))
        assert current_version(versions) == version(2, day=5)

    def test_first_must_be_version_1(self) -> None:
        with pytest.raises(Conflict):
            add_submission((), version(2))

    def test_skipped_or_repeated_version(self) -> None:
        with pytest.raises(Conflict) as err:
            add_submission((version(1),), version(1, day=3))
        assert err.value.field == "version"

    def test_newer_version_filed_earlier(self) -> None:
        with pytest.raises(Conflict):
            add_submission((version(1, day=5),), version(2, day=4))

    def test_other_report(self) -> None:
        with pytest.raises(InvalidInput):
            add_submission((version(1, unit_id="chc-2"),), version(2))

    def test_before_the_period_began(self) -> None:
        with pytest.raises(InvalidInput) as err:
            add_submission((), version(1, period_key="2024-03"))
        assert err.value.field == "submitted_at"

    def test_naive_time(self) -> None:
        with pytest.raises(InvalidInput):
            add_submission((), Submission("monthly-operations", "chc-1", "2024-01", 1, datetime(2024, 2, 2)))

    def test_nothing_filed(self) -> None:
        assert current_version([]) is None
