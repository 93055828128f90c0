from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from libs.kit.errors import Conflict, Forbidden, InvalidInput
from services.registry.domain import filing as f
from services.registry.domain.alliance import FilingAuthority, filing_authority
from services.registry.domain.codes.regions import Level
from services.registry.domain.filing import Filing, FilingAction, Reviewer, can_approve
from services.registry.domain.status import FilingStatus, is_filed, is_operating
from tests.services.registry.builders import AT, random_id

S = FilingStatus
PROVINCE = filing_authority(name="湖南省儿科专科联盟", region_code="430000", member_region_codes=["430102"])
CHANGSHA = filing_authority(name="长沙市儿科专科联盟", region_code="430100", member_region_codes=["430102", "430121"])
HUNAN_REVIEWER = Reviewer("hn-reviewer", "430000", Level.PROVINCE)
DOCS = {"charter", "agreement", "member_list"}


def filing_in(status: FilingStatus) -> Filing:
    return Filing(random_id("alliance"), status)


def run(action: FilingAction, filing: Filing) -> Filing:
    """Perform ``action`` with valid arguments (the province commission deciding), so only the state decides."""
    reviewer: dict[str, Any] = {"reviewer": HUNAN_REVIEWER, "authority": PROVINCE, "at": AT}
    lead: dict[str, Any] = {"actor": "lead-office", "at": AT}
    calls = {
        FilingAction.SUBMIT: lambda: f.submit(filing, **lead),
        FilingAction.RESUBMIT: lambda: f.resubmit(filing, **lead),
        FilingAction.RETURN: lambda: f.return_for_revision(filing, reasons=["缺少章程"], **reviewer),
        FilingAction.APPROVE: lambda: f.approve(filing, **reviewer),
        FilingAction.START_PREPARING: lambda: f.start_preparing(filing, **lead),
        FilingAction.OPEN: lambda: f.open_alliance(filing, founded_on=date(2025, 2, 1), documents=DOCS, **lead),
        FilingAction.RENEW: lambda: f.renew(filing, term_number=2, **lead),
        FilingAction.RENAME: lambda: f.rename(filing, old_name="a", new_name="b", **reviewer),
        FilingAction.MERGE: lambda: f.merge(filing, into_alliance_id="x", reason="整合", **reviewer),
        FilingAction.DISSOLVE: lambda: f.dissolve(filing, reason="连续2年评价较差", **reviewer),
    }
    return calls[action]()


ILLEGAL = [(action, status) for action, (sources, _) in f.TRANSITIONS.items()
           for status in FilingStatus if status not in sources]


class TestHappyPath:
    def test_draft_to_operating_records_every_step(self) -> None:
        filing = filing_in(S.DRAFT)
        for action in (FilingAction.SUBMIT, FilingAction.APPROVE, FilingAction.START_PREPARING, FilingAction.OPEN):
            filing = run(action, filing)
        assert filing.status is S.OPERATING
        assert filing.founded_on == date(2025, 2, 1)
        assert [(t.from_status, t.to_status) for t in filing.history] == [
            (S.DRAFT, S.SUBMITTED), (S.SUBMITTED, S.APPROVED), (S.APPROVED, S.PREPARING),
            (S.PREPARING, S.OPERATING)]
        approval = filing.history[1]
        assert (approval.actor, approval.at, approval.action) == ("hn-reviewer", AT, FilingAction.APPROVE)

    def test_returned_keeps_reasons_and_can_be_resubmitted(self) -> None:
        returned = f.return_for_revision(filing_in(S.SUBMITTED), reviewer=HUNAN_REVIEWER, authority=PROVINCE,
                                         at=AT, reasons=["缺少章程", " 成员名单不全 "])
        assert returned.status is S.RETURNED
        assert returned.history[-1].reason == "缺少章程；成员名单不全"
        assert run(FilingAction.RESUBMIT, returned).status is S.SUBMITTED

    def test_renew_and_rename_keep_operating(self) -> None:
        filing = run(FilingAction.RENAME, run(FilingAction.RENEW, filing_in(S.OPERATING)))
        assert filing.status is S.OPERATING
        assert filing.history[-1].details == {"old_name": "a", "new_name": "b"}

    @pytest.mark.parametrize(("action", "target"), [(FilingAction.MERGE, S.MERGED),
                                                    (FilingAction.DISSOLVE, S.DISSOLVED)])
    def test_endings(self, action: FilingAction, target: FilingStatus) -> None:
        ended = run(action, filing_in(S.OPERATING))
        assert ended.status is target
        assert not ended.is_operating


class TestIllegalTransitions:
    @pytest.mark.parametrize(("action", "status"), ILLEGAL, ids=[f"{a}-from-{s}" for a, s in ILLEGAL])
    def test_conflict_names_current_state(self, action: FilingAction, status: FilingStatus) -> None:
        with pytest.raises(Conflict) as exc:
            run(action, filing_in(status))
        assert exc.value.status == 409
        assert f"当前状态为“{status.label}”" in exc.value.detail
        assert exc.value.extra["current_status"] == status.value


class TestGuards:
    def test_return_needs_a_reason(self) -> None:
        with pytest.raises(InvalidInput, match="理由"):
            f.return_for_revision(filing_in(S.SUBMITTED), reviewer=HUNAN_REVIEWER, authority=PROVINCE, at=AT,
                                  reasons=["  "])

    def test_open_needs_documents(self) -> None:
        with pytest.raises(Conflict, match="联盟章程、协议书"):
            f.open_alliance(filing_in(S.PREPARING), actor="lead", at=AT, founded_on=date(2025, 2, 1),
                            documents={"member_list"})

    def test_open_refuses_future_founding_date(self) -> None:
        with pytest.raises(InvalidInput, match="不能晚于今天"):
            f.open_alliance(filing_in(S.PREPARING), actor="lead", at=AT, founded_on=date(2025, 3, 2), documents=DOCS)

    def test_naive_time_refused(self) -> None:
        with pytest.raises(InvalidInput, match="时区"):
            f.submit(filing_in(S.DRAFT), actor="lead", at=datetime(2025, 1, 1))

    def test_original_filing_unchanged(self) -> None:
        draft = filing_in(S.DRAFT)
        f.submit(draft, actor="lead", at=AT)
        assert draft.status is S.DRAFT and draft.history == ()


class TestApprovalJurisdiction:
    def test_province_reviewer_approves_province_alliance(self) -> None:
        assert can_approve("430000", Level.PROVINCE, PROVINCE)

    def test_city_reviewer_approves_city_alliance(self) -> None:
        assert can_approve("430100", "city", CHANGSHA)

    @pytest.mark.parametrize(
        ("region_code", "level", "authority"),
        [
            ("430100", Level.CITY, PROVINCE),  # lower commission
            ("430000", Level.PROVINCE, CHANGSHA),  # higher commission: 本级管理
            ("430200", Level.CITY, CHANGSHA),  # neighbour city
            ("460000", Level.PROVINCE, PROVINCE),  # other province
            ("430100", Level.PROVINCE, CHANGSHA),  # level does not match the region
            ("999999", Level.CITY, CHANGSHA),  # unknown region
        ],
    )
    def test_others_cannot(self, region_code: str, level: Level, authority: FilingAuthority) -> None:
        assert not can_approve(region_code, level, authority)

    def test_approve_by_other_jurisdiction_forbidden(self) -> None:
        with pytest.raises(Forbidden, match="长沙市卫生健康委员会") as exc:
            f.approve(filing_in(S.SUBMITTED), reviewer=HUNAN_REVIEWER, authority=CHANGSHA, at=AT)
        assert exc.value.status == 403


class TestStatusHelpers:
    def test_only_operating_operates(self) -> None:
        assert [s for s in FilingStatus if is_operating(s)] == [S.OPERATING]

    def test_filed(self) -> None:
        assert {s for s in FilingStatus if is_filed(s)} == {S.APPROVED, S.PREPARING, S.OPERATING}

    def test_history_times_are_kept(self) -> None:
        later = AT + timedelta(days=1)
        filing = f.submit(filing_in(S.DRAFT), actor="lead", at=later.astimezone(timezone(timedelta(hours=8))))
        assert filing.history[-1].at == later
