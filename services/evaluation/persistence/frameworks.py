"""Framework store: the shipped TOML files (``domain/frameworks``) plus versions uploaded as data (评价框架).

A framework is identified by (id, version). Shipped files are version 1 of their id unless they say otherwise;
an upload must carry a higher version than every stored one of the same id, so a scorecard computed with
(id, version) can always be recomputed the same way. Uploads are parsed by ``catalog.parse_framework`` — the
same validation as the shipped files — and stored as the original text.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.errors import Conflict, InvalidInput, NotFound
from services.evaluation.domain import catalog
from services.evaluation.domain.catalog import AnyFramework
from services.evaluation.domain.club import ClubFramework
from services.evaluation.domain.framework import ScoreFramework
from services.evaluation.persistence.tables import uploaded_frameworks as table

FORMATS = ("toml", "json")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FrameworkInfo:
    framework_id: str
    version: int
    kind: str
    title: str
    origin: str  # "builtin" 随系统发布 / "uploaded" 上传


def kind_of(framework: AnyFramework) -> str:
    if isinstance(framework, ScoreFramework):
        return "scorecard"
    return "ranking" if isinstance(framework, ClubFramework) else "reporting"


def parse_text(content: str, fmt: str) -> AnyFramework:
    """Parse uploaded text exactly like a shipped file; errors name the bad key (``indicators[3].max``)."""
    return _parse_cached(content, fmt)


@lru_cache(maxsize=64)
def _parse_cached(content: str, fmt: str) -> AnyFramework:
    return catalog.parse_framework(_load(content, fmt))


def _load(content: str, fmt: str) -> dict[str, Any]:
    if fmt == "toml":
        try:
            return tomllib.loads(content)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"TOML 格式无效：{exc}", field="content") from None
    if fmt != "json":
        raise InvalidInput("格式应为 toml 或 json", field="format")
    try:
        raw = json.loads(content)
    except ValueError as exc:
        raise InvalidInput(f"JSON 格式无效：{exc}", field="content") from None
    if not isinstance(raw, dict):
        raise InvalidInput("框架应为 JSON 对象", field="content")
    # JSON has no date type: the header's 施行日期 is written "2025-01-15"
    effective = raw.get("effective_from")
    if isinstance(effective, str) and _ISO_DATE.match(effective):
        try:
            raw["effective_from"] = date.fromisoformat(effective)
        except ValueError:
            raise InvalidInput("施行日期无效", field="effective_from") from None
    return raw


async def get_framework(session: AsyncSession, framework_id: str, version: int | None = None) -> AnyFramework:
    """The framework (id, version); the highest version when ``version`` is None."""
    uploaded = select(table.c.version, table.c.content, table.c.format).where(table.c.framework_id == framework_id)
    if version is not None:
        uploaded = uploaded.where(table.c.version == version)
    row = (await session.execute(uploaded.order_by(table.c.version.desc()).limit(1))).first()
    builtin = _builtin(framework_id)
    if row is not None and (builtin is None or row.version > builtin.version):
        return parse_text(row.content, row.format)
    if builtin is not None and (version is None or builtin.version == version):
        return builtin
    shown = f"{framework_id} 第{version}版" if version is not None else framework_id
    raise NotFound(f"评价框架不存在：{shown}", field="framework_id")


def _builtin(framework_id: str) -> AnyFramework | None:
    if framework_id not in catalog.framework_ids():
        return None
    return catalog.load_framework(framework_id)


async def list_frameworks(session: AsyncSession) -> list[FrameworkInfo]:
    infos = [FrameworkInfo(f.id, f.version, kind_of(f), f.title, "builtin")
             for f in (catalog.load_framework(i) for i in catalog.framework_ids())]
    rows = (await session.execute(select(table.c.framework_id, table.c.version, table.c.kind, table.c.title)
                                  .order_by(table.c.framework_id, table.c.version))).all()
    infos += [FrameworkInfo(r.framework_id, r.version, r.kind, r.title, "uploaded") for r in rows]
    return sorted(infos, key=lambda i: (i.framework_id, i.version))


async def upload(session: AsyncSession, *, content: str, fmt: str, by: str, at: datetime) -> AnyFramework:
    framework = parse_text(content, fmt)
    # Serialise uploads of one id: two concurrent uploads of the same version must not both pass the check.
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(
        "evaluation.framework|" + framework.id, 0))))
    latest = await session.scalar(select(func.max(table.c.version)).where(table.c.framework_id == framework.id))
    builtin = _builtin(framework.id)
    floor = max(latest or 0, builtin.version if builtin else 0)
    if framework.version <= floor:
        raise Conflict(f"评价框架 {framework.id} 已有第{floor}版，新上传的版本号应大于{floor}", field="version")
    await session.execute(insert(table).values(
        framework_id=framework.id, version=framework.version, kind=kind_of(framework), title=framework.title,
        format=fmt, content=content, uploaded_by=by, uploaded_at=at))
    return framework
