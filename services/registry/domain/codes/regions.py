"""GB/T 2260 行政区划代码: lookup, levels, containment.

Data: ``regions-gbt2260.tsv`` (built by ``build_regions.py``), historic codes kept and marked. Loaded lazily
on first use and cached; nothing is read at import time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from libs.kit.errors import InvalidInput

DATA_FILE = Path(__file__).with_name("regions-gbt2260.tsv")
_CODE = re.compile(r"^\d{6}$")
# Statistical placeholders, not places: "市辖区" / "县" under municipalities, "省直辖县级行政单位" …
_PLACEHOLDERS = frozenset({"市辖区", "县", "市区"})


class Level(StrEnum):
    """行政级别 of a region or of a health commission: 省级 / 市级 / 县级."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"

    @property
    def label(self) -> str:
        return {"province": "省级", "city": "市级", "county": "县级"}[self.value]

    @property
    def rank(self) -> int:
        """0 for 省级; larger is lower."""
        return ("province", "city", "county").index(self.value)


@dataclass(frozen=True, slots=True)
class Region:
    """One GB/T 2260 code: ``430102`` 芙蓉区, county level, within 430100 长沙市 and 430000 湖南省."""

    code: str
    name: str
    level: Level
    full_name: str
    province_code: str
    prefecture_code: str | None
    current: bool
    valid_from: int | None
    valid_to: int | None
    history: str

    @property
    def parent_codes(self) -> tuple[str, ...]:
        """Province first, then prefecture (市/州/盟) when there is one."""
        if self.level is Level.PROVINCE:
            return ()
        return tuple(c for c in (self.province_code, self.prefecture_code) if c)

    @property
    def is_placeholder(self) -> bool:
        """True for 市辖区 / 县 / 省直辖县级行政单位 rows, which group codes but are not places."""
        return is_placeholder_name(self.name)


def is_placeholder_name(name: str) -> bool:
    return name in _PLACEHOLDERS or "直辖" in name


def regions_version() -> str:
    """Version line of the shipped data file, e.g. ``gbt2260-stdnum2.2-2245716b825f``."""
    return _load()[0]


def find_region(code: str) -> Region | None:
    """The region for a six-digit code (current or historic), or None."""
    return _load()[1].get(str(code).strip())


def region(code: str, *, field: str = "region_code", current_only: bool = False) -> Region:
    """The region for ``code`` or InvalidInput naming the field (Chinese detail)."""
    text = str(code).strip()
    if not _CODE.match(text):
        raise InvalidInput(f"行政区划代码应为6位数字：{text[:20]}", field=field)
    found = find_region(text)
    if found is None:
        raise InvalidInput(f"行政区划代码不存在：{text}", field=field)
    if current_only and not found.current:
        raise InvalidInput(
            f"行政区划代码{text}（{found.full_name}）已于{found.valid_to}年撤销，请使用现行代码", field=field
        )
    return found


def is_valid_region(code: str, *, current_only: bool = False) -> bool:
    found = find_region(code)
    return found is not None and (found.current or not current_only)


def is_within(child: str, parent: str) -> bool:
    """True when ``child`` is ``parent`` or lies inside it (县 in 市, 市 or 县 in 省)."""
    inner, outer = find_region(child), find_region(parent)
    if inner is None or outer is None:
        return False
    return inner.code == outer.code or outer.code in inner.parent_codes


def common_ancestor(codes: Iterable[str]) -> Region:
    """The smallest real region (never a 市辖区 placeholder) containing every code."""
    regions = [region(c) for c in codes]
    if not regions:
        raise InvalidInput("至少需要一个行政区划代码", field="region_code")
    chains = [_chain(r) for r in regions]
    shared = [c for c in chains[0] if all(c in chain for chain in chains)]
    if not shared:
        raise InvalidInput("这些行政区划不属于同一省级行政区", field="region_code")
    return find_region(shared[-1])  # type: ignore[return-value]


def _chain(found: Region) -> list[str]:
    """Codes from the province down to ``found``, placeholders skipped."""
    chain = [*found.parent_codes, found.code]
    return [c for c in chain if not _table()[c].is_placeholder]


def _table() -> dict[str, Region]:
    return _load()[1]


@cache
def _load() -> tuple[str, dict[str, Region]]:
    version = ""
    rows: list[list[str]] = []
    for line in DATA_FILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("# version:"):
            version = line.split(":", 1)[1].strip()
        elif line and not line.startswith("#") and not line.startswith("code\t"):
            rows.append(line.split("\t"))
    codes = {r[0] for r in rows}
    return version, {r[0]: _region(r, codes) for r in rows}


def _region(cols: list[str], codes: set[str]) -> Region:
    code, name, level, province, prefecture, status, valid_from, valid_to, history = cols
    prefecture_code = code[:4] + "00" if prefecture and level == Level.COUNTY else None
    if prefecture_code not in codes:
        prefecture_code = None
    return Region(
        code=code,
        name=name,
        level=Level(level),
        full_name=_full_name(name, Level(level), province, prefecture),
        province_code=code[:2] + "0000",
        prefecture_code=prefecture_code,
        current=status == "current",
        valid_from=int(valid_from) if valid_from else None,
        valid_to=int(valid_to) if valid_to else None,
        history=history,
    )


def _full_name(name: str, level: Level, province: str, prefecture: str) -> str:
    """湖南省长沙市芙蓉区; 北京市东城区 (the 市辖区 placeholder is left out)."""
    if level is Level.PROVINCE:
        return name
    parts = [province]
    if prefecture and not is_placeholder_name(prefecture) and prefecture != province:
        parts.append(prefecture)
    if name != parts[-1]:
        parts.append(name)
    return "".join(parts)
