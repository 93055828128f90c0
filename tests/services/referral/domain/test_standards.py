from __future__ import annotations

from datetime import date

import pytest

from libs.kit.errors import InvalidInput, NotFound
from services.referral.domain.standards import (
    DocumentKind,
    Indication,
    ProcessDocument,
    new_standard,
    standard_on,
)
from services.referral.domain.terms import Direction


def standard(version: str = "2024.1", effective: date = date(2024, 1, 1), **kw: object):  # type: ignore[no-untyped-def]
    return new_standard(alliance_id="alliance-peds", version=version, effective_from=effective, **kw)  # type: ignore[arg-type]


class TestIndications:
    def test_defaults_follow_article_14(self) -> None:
        s = standard()
        assert [i.title for i in s.indications_for(Direction.UP)] == ["急危重症", "疑难复杂疾病"]
        assert [i.title for i in s.indications_for(Direction.DOWN)] == ["诊断明确、病情稳定"]

    def test_check(self) -> None:
        assert standard().check_indication(Direction.DOWN, "stable").title == "诊断明确、病情稳定"
        with pytest.raises(InvalidInput, match="下转指征"):
            standard().check_indication(Direction.DOWN, "difficult_complex")

    def test_each_direction_needs_one(self) -> None:
        with pytest.raises(InvalidInput, match="缺少下转指征"):
            standard(indications=[Indication("x", Direction.UP, "x")])

    def test_duplicate_codes(self) -> None:
        dup = [Indication("x", Direction.UP, "x"), Indication("x", Direction.DOWN, "y")]
        with pytest.raises(InvalidInput):
            standard(indications=dup)


class TestDocuments:
    def test_missing_and_not_implemented(self) -> None:
        docs = [ProcessDocument(DocumentKind.REFERRAL_CRITERIA, "转诊标准", "1", date(2024, 1, 1), implemented=True),
                ProcessDocument(DocumentKind.REFERRAL_PROCESS, "转诊流程", "1", date(2024, 1, 1))]
        s = standard(documents=docs)
        assert s.missing_documents() == (DocumentKind.OPERATING_MECHANISM, DocumentKind.GREEN_CHANNEL)
        assert s.not_implemented() == (DocumentKind.REFERRAL_PROCESS,)


class TestVersions:
    def test_version_in_force(self) -> None:
        old, new = standard("2023", date(2023, 1, 1)), standard("2024", date(2024, 7, 1))
        assert standard_on([old, new], date(2024, 6, 30)) is old
        assert standard_on([old, new], date(2024, 7, 1)) is new
        with pytest.raises(NotFound):
            standard_on([new], date(2024, 1, 1))
