"""本专科指标数据: the lead unit's specialty figures for the year before filing (备案日期上一年度数据).

外科相关指标 (手术例次, 微创/日间/四级手术占比) may be left empty by non-surgical specialties; the rest is
required. Percentages are in percent (12.5 means 12.5 %).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from libs.kit.errors import InvalidInput
from services.registry.domain.validation import ErrorCollector
from services.registry.domain.values import parse_count, parse_decimal

_COUNTS = {"outpatient_visits": ("年门急诊人次", 50_000_000), "discharges": ("年出院患者人次", 5_000_000),
           "operations": ("年手术例次", 5_000_000)}
_PERCENTS = {"minimally_invasive_pct": "微创手术占比", "day_surgery_pct": "日间手术占比",
             "grade4_surgery_pct": "四级手术占比", "low_risk_mortality_pct": "低风险组死亡率",
             "out_of_area_pct": "外埠患者占比"}
SURGICAL = ("operations", "minimally_invasive_pct", "day_surgery_pct", "grade4_surgery_pct")


@dataclass(frozen=True, slots=True)
class SpecialtyFigures:
    year: int
    outpatient_visits: int
    discharges: int
    operations: int | None
    cmi: Decimal
    minimally_invasive_pct: Decimal | None
    day_surgery_pct: Decimal | None
    grade4_surgery_pct: Decimal | None
    low_risk_mortality_pct: Decimal
    out_of_area_pct: Decimal
    mean_stay_days: Decimal

    @classmethod
    def create(cls, *, year: int, filed_on: date, **raw: object) -> SpecialtyFigures:
        """Validate ranges; ``year`` must be the year before ``filed_on``."""
        if year != filed_on.year - 1:
            raise InvalidInput(f"请填写备案日期上一年度（{filed_on.year - 1}年）的数据", field="figures.year")
        values = _parse(raw)
        _check_consistency(values)
        return cls(year=year, **values)  # type: ignore[arg-type]


def _parse(raw: Mapping[str, object]) -> dict[str, object]:
    errors = ErrorCollector()
    values: dict[str, object] = {}
    for key, (label, maximum) in _COUNTS.items():
        values[key] = _optional(errors, key, raw, parse_count, label=label, maximum=maximum)
    for key, label in _PERCENTS.items():
        places = 4 if key == "low_risk_mortality_pct" else 2
        values[key] = _optional(errors, key, raw, parse_decimal, label=label, minimum=Decimal(0),
                                maximum=Decimal(100), places=places)
    values["cmi"] = _optional(errors, "cmi", raw, parse_decimal, label="CMI值", minimum=Decimal(0),
                              maximum=Decimal(10), places=4, min_exclusive=True)
    values["mean_stay_days"] = _optional(errors, "mean_stay_days", raw, parse_decimal, label="平均住院日",
                                         minimum=Decimal(0), maximum=Decimal(365), min_exclusive=True)
    for key in values.keys() - set(SURGICAL):
        if raw.get(key) in (None, "") and not any(e["field"] == f"figures.{key}" for e in errors.errors):
            errors.add(f"figures.{key}", f"{_label(key)}不能为空")
    errors.raise_if_any()
    return values


def _optional(errors: ErrorCollector, key: str, raw: Mapping[str, object], parse, **kwargs):  # noqa: ANN001, ANN202
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return errors.check(parse, value, field=f"figures.{key}", **kwargs)


def _check_consistency(values: Mapping[str, object]) -> None:
    errors = ErrorCollector()
    operations = values["operations"]
    for key in SURGICAL[1:]:
        share = values[key]
        if share is not None and share > 0 and not operations:  # type: ignore[operator]
            errors.add(f"figures.{key}", f"未填写手术例次（或为0）时，{_label(key)}不能大于0")
    errors.raise_if_any()


def _label(key: str) -> str:
    return LABELS[key]


LABELS = {**{k: v[0] for k, v in _COUNTS.items()}, **_PERCENTS, "cmi": "CMI值", "mean_stay_days": "平均住院日"}
