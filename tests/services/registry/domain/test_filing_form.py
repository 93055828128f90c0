from datetime import date

import pytest

from libs.kit.errors import InvalidInput
from services.registry.domain.alliance import Alliance, ServiceArea, SpecialtyFigures
from services.registry.domain.filing_form import FilingForm, missing_documents
from services.registry.domain.institution import Institution
from tests.services.registry.builders import contact, institution_values, random_id, roster

FILED_ON = date(2025, 3, 1)


def figures() -> SpecialtyFigures:
    return SpecialtyFigures.create(year=2024, filed_on=FILED_ON, outpatient_visits=100, discharges=10, cmi="1.1",
                                   low_risk_mortality_pct="0", out_of_area_pct="20", mean_stay_days="6")


def alliance() -> Alliance:
    return Alliance.create(alliance_id=random_id(), name="湖南省儿科专科联盟", region_code="430000",
                           specialty_code="07", service_area=ServiceArea(True), chair=contact(),
                           secretary=contact(name="秘书"), roster=roster("430103", "430202"))


class TestFilingForm:
    def test_lead_must_be_roster_lead(self) -> None:
        subject = alliance()
        form = FilingForm.create(lead=Institution.create(**institution_values()),
                                 lead_institution_id=subject.roster.lead.institution_id,
                                 specialty_summary="儿科专科人员配备……", figures=figures(), alliance=subject,
                                 filed_on=FILED_ON)
        assert form.alliance.authority.name == "湖南省卫生健康委员会"
        with pytest.raises(InvalidInput, match="主席单位"):
            FilingForm.create(lead=form.lead, lead_institution_id="someone-else", specialty_summary="x",
                              figures=figures(), alliance=subject, filed_on=FILED_ON)

    def test_summary_length(self) -> None:
        subject = alliance()
        with pytest.raises(InvalidInput, match="600"):
            FilingForm.create(lead=Institution.create(**institution_values()),
                              lead_institution_id=subject.roster.lead.institution_id, specialty_summary="字" * 601,
                              figures=figures(), alliance=subject, filed_on=FILED_ON)

    def test_missing_documents(self) -> None:
        assert missing_documents({"charter"}) == ["协议书", "联盟成员单位名单"]
