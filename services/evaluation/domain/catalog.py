"""Which frameworks exist: the TOML files under ``frameworks/``, parsed by their ``kind``.

A new framework is a new file (or ``parse_framework`` on uploaded data); only a new *scoring method* needs
code. Files are read on first use, never at import time.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from libs.kit.errors import InvalidInput, NotFound
from services.evaluation.domain import config
from services.evaluation.domain.club import ClubFramework, parse_club_framework
from services.evaluation.domain.framework import ScoreFramework, parse_score_framework
from services.evaluation.domain.reporting import ReportingFramework, parse_reporting_framework

FRAMEWORKS_DIR = Path(__file__).parent / "frameworks"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
AnyFramework = ScoreFramework | ClubFramework | ReportingFramework


def framework_ids() -> list[str]:
    return sorted(p.stem for p in FRAMEWORKS_DIR.glob("*.toml"))


@cache
def load_framework(framework_id: str) -> AnyFramework:
    """The framework stored as ``frameworks/<id>.toml``; its ``id`` must match the file name."""
    if not _ID.match(framework_id) or framework_id not in framework_ids():
        raise NotFound(f"评价框架不存在：{framework_id}", field="framework_id")
    raw = tomllib.loads((FRAMEWORKS_DIR / f"{framework_id}.toml").read_text(encoding="utf-8"))
    framework = parse_framework(raw)
    if framework.id != framework_id:
        raise InvalidInput(f"框架配置无效：id {framework.id} 与文件名不符", field="id")
    return framework


def parse_framework(raw: Mapping[str, Any]) -> AnyFramework:
    kind = config.req_choice(raw, "kind", "", ("scorecard", "ranking", "reporting"))
    if kind == "scorecard":
        return parse_score_framework(raw)
    if kind == "ranking":
        return parse_club_framework(raw)
    return parse_reporting_framework(raw)


def load_score_framework(framework_id: str) -> ScoreFramework:
    framework = load_framework(framework_id)
    if not isinstance(framework, ScoreFramework):
        raise InvalidInput(f"{framework_id} 不是评分表类框架", field="framework_id")
    return framework
