"""Club annual evaluation of member units (成员单位年度评价) from frozen collective points (集体积分).

The seed says only that the office evaluates member units once a year and publishes rankings; the bands are
*our* definition, kept as data (``club-annual-2024.toml``): units are ranked by the closed year's collective
points (competition ranking, ties share a rank); bands are tried in order, a unit takes the first whose
``min_points`` it reaches and, when the band has ``top_share``, whose rank is within
``max(1, floor(units × top_share))`` (ties at the cut-off all qualify); otherwise ``fallback_label``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from libs.kit.amounts import parse_points
from libs.kit.errors import InvalidInput
from services.evaluation.domain import config
from services.evaluation.domain.ranking import competition_ranks


@dataclass(frozen=True)
class ClubBand:
    label: str
    min_points: Decimal
    top_share: Decimal | None  # 排名前若干比例

    def admits(self, points: Decimal, rank: int, units: int) -> bool:
        if points < self.min_points:
            return False
        if self.top_share is None:
            return True
        cutoff = max(1, int((units * self.top_share).to_integral_value(rounding=ROUND_FLOOR)))
        return rank <= cutoff


@dataclass(frozen=True)
class ClubFramework:
    id: str
    version: int
    title: str
    source: str
    effective_from: date
    points_scheme: str
    bands: tuple[ClubBand, ...]
    fallback_label: str


@dataclass(frozen=True)
class UnitEvaluation:
    unit_id: str
    year: int
    points: Decimal
    rank: int
    units_ranked: int
    band: str


def parse_club_framework(raw: Mapping[str, Any]) -> ClubFramework:
    header = config.read_header(raw)
    bands = tuple(_band(b, f"bands[{i}]") for i, b in enumerate(config.req_tables(raw, "bands", "")))
    return ClubFramework(header.id, header.version, header.title, header.source, header.effective_from,
                         config.req_id(raw, "points_scheme", ""), bands,
                         config.req_str(raw, "fallback_label", ""))


def _band(raw: Mapping[str, Any], path: str) -> ClubBand:
    share = config.req_dec(raw, "top_share", path) if "top_share" in raw else None
    if share is not None and not 0 < share <= 1:
        raise config.bad(f"{path}.top_share", "应在0与1之间")
    return ClubBand(config.req_str(raw, "label", path), config.opt_dec(raw, "min_points", path, Decimal(0)), share)


def evaluate_units(framework: ClubFramework, *, year: int,
                   points_by_unit: Mapping[str, object]) -> list[UnitEvaluation]:
    """Rank every unit of the closed year's snapshot (1 月 1 日至 12 月 31 日) and give its band."""
    if year < framework.effective_from.year:
        raise InvalidInput(f"{year}年早于本评价办法施行年度", field="year")
    if not points_by_unit:
        raise InvalidInput("没有可评价的成员单位", field="points_by_unit")
    points = {unit: parse_points(raw, field=f"points_by_unit.{unit}", allow_zero=True)
              for unit, raw in points_by_unit.items()}
    ranked = competition_ranks(points.items())
    return [UnitEvaluation(unit, year, value, rank, len(ranked), _band_of(framework, value, rank, len(ranked)))
            for unit, value, rank in ranked]


def _band_of(framework: ClubFramework, points: Decimal, rank: int, units: int) -> str:
    return next((b.label for b in framework.bands if b.admits(points, rank, units)), framework.fallback_label)
