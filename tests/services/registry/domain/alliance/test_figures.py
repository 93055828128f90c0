from datetime import date
from decimal import Decimal

import pytest

from libs.kit.errors import InvalidInput
from services.registry.domain.alliance import SpecialtyFigures

FILED_ON = date(2025, 3, 1)


def figures(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "outpatient_visits": 1_200_000, "discharges": 80_000, "operations": 15_000, "cmi": "1.05",
        "minimally_invasive_pct": "35.5", "day_surgery_pct": "12", "grade4_surgery_pct": "18.2",
        "low_risk_mortality_pct": "0.012", "out_of_area_pct": "41.3", "mean_stay_days": "6.8",
    }
    values.update(overrides)
    return values


class TestCreate:
    def test_valid(self) -> None:
        got = SpecialtyFigures.create(year=2024, filed_on=FILED_ON, **figures())
        assert got.cmi == Decimal("1.05")
        assert got.low_risk_mortality_pct == Decimal("0.012")

    def test_surgical_figures_may_be_left_empty(self) -> None:
        got = SpecialtyFigures.create(year=2024, filed_on=FILED_ON, **figures(
            operations=None, minimally_invasive_pct="", day_surgery_pct=None, grade4_surgery_pct=None))
        assert got.operations is None

    def test_must_be_previous_year(self) -> None:
        with pytest.raises(InvalidInput, match="2024年"):
            SpecialtyFigures.create(year=2025, filed_on=FILED_ON, **figures())

    @pytest.mark.parametrize(
        ("key", "value"),
        [("cmi", "0"), ("cmi", "12"), ("day_surgery_pct", "101"), ("out_of_area_pct", "-1"),
         ("mean_stay_days", "0"), ("mean_stay_days", "400"), ("outpatient_visits", "-5"), ("discharges", "1.5")],
    )
    def test_out_of_range(self, key: str, value: str) -> None:
        with pytest.raises(InvalidInput) as exc:
            SpecialtyFigures.create(year=2024, filed_on=FILED_ON, **figures(**{key: value}))
        assert {e["field"] for e in exc.value.errors} == {f"figures.{key}"}

    def test_required_core_figures(self) -> None:
        with pytest.raises(InvalidInput) as exc:
            SpecialtyFigures.create(year=2024, filed_on=FILED_ON, **figures(cmi=None, outpatient_visits=""))
        assert {e["field"] for e in exc.value.errors} == {"figures.cmi", "figures.outpatient_visits"}

    def test_surgical_share_without_operations_refused(self) -> None:
        with pytest.raises(InvalidInput, match="手术例次"):
            SpecialtyFigures.create(year=2024, filed_on=FILED_ON, **figures(operations=0))
