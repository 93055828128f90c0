"""Grades (等级) from a total and vetoes: 合格/不合格 (Hunan) or bands 优秀/良好/合格 with funding (Haikou).

``pass_fail``: 总得分低于 ``pass_min`` 或出现一票否决项 → 不合格, else 合格.
``bands``: the first band whose ``above`` the total is *strictly* greater than (>90 优秀, >80 良好, >60 合格);
none → 不合格. A veto fails under either method. Funding (经费) is whole yuan, an exact integer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.evaluation.domain import config
from services.evaluation.domain.config import Table
from services.evaluation.domain.methods.base import fmt


@dataclass(frozen=True)
class Band:
    label: str
    above: Decimal  # 严格大于
    funding_yuan: int | None


@dataclass(frozen=True)
class Grading:
    method: str
    pass_label: str
    fail_label: str
    pass_min: Decimal | None = None
    bands: tuple[Band, ...] = ()


@dataclass(frozen=True)
class Grade:
    label: str
    passed: bool
    reasons: tuple[str, ...]
    funding_yuan: int | None = None


def parse_grading(raw: Table, path: str = "grading") -> Grading:
    method = config.req_choice(raw, "method", path, ("pass_fail", "bands"))
    fail = config.req_str(raw, "fail_label", path)
    if method == "pass_fail":
        return Grading(method, config.req_str(raw, "pass_label", path), fail,
                       pass_min=config.req_dec(raw, "pass_min", path))
    bands = tuple(_band(b, f"{path}.bands[{i}]") for i, b in enumerate(config.req_tables(raw, "bands", path)))
    if [b.above for b in bands] != sorted((b.above for b in bands), reverse=True):
        raise config.bad(f"{path}.bands", "应按分数线从高到低排列")
    return Grading(method, "/".join(b.label for b in bands), fail, bands=bands)


def _band(raw: Table, path: str) -> Band:
    funding = config.opt_int(raw, "funding_yuan", path, -1)
    return Band(config.req_str(raw, "label", path), config.req_dec(raw, "above", path),
                funding if funding >= 0 else None)


def grade(grading: Grading, total: Decimal, vetoes: Sequence[str]) -> Grade:
    """The grade of a total; ``vetoes`` are the notes of triggered 一票否决 items."""
    no_funding = 0 if grading.bands and grading.bands[0].funding_yuan is not None else None
    if vetoes:
        return Grade(grading.fail_label, False, tuple(vetoes), no_funding)
    if grading.method == "pass_fail":
        assert grading.pass_min is not None
        if total < grading.pass_min:
            return Grade(grading.fail_label, False, (f"总得分{fmt(total)}分，低于{fmt(grading.pass_min)}分",))
        return Grade(grading.pass_label, True, ())
    for band in grading.bands:
        if total > band.above:
            return Grade(band.label, True, (f"总得分{fmt(total)}分，高于{fmt(band.above)}分",), band.funding_yuan)
    lowest = grading.bands[-1].above
    return Grade(grading.fail_label, False, (f"总得分{fmt(total)}分，未高于{fmt(lowest)}分",), no_funding)
