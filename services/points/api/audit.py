"""Audit (auditor role, read-only): public key, NDJSON export, server-side chain verification, replay of every
award, projection rebuild diff, and the reconciliation issued = held + pending + redeemed.

Long reads run on their own connection in one REPEATABLE READ read-only transaction (a consistent cut),
not in the request's transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select

from libs.auth.deps import PrincipalDep
from libs.auth.principal import Role
from libs.kit.amounts import format_points, from_tenths
from libs.kit.deps import SessionDep
from services.points.ledger.diff import diff
from services.points.ledger.export import export_lines
from services.points.ledger.verify import verify_ledger
from services.points.persistence.tables import balances, flows
from services.points.runtime import PointsRuntime, connect_settings, rebuild_parallel

from .access import PointsDep, readable_alliance, require_auditor

router = APIRouter(prefix="/audit", tags=["audit"])
NDJSON = "application/x-ndjson"


@asynccontextmanager
async def snapshot_connection(runtime: PointsRuntime) -> AsyncIterator[asyncpg.Connection]:
    settings = runtime.points_settings
    conn = await asyncpg.connect(settings.asyncpg_dsn, server_settings=connect_settings(settings))
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            yield conn
    finally:
        await conn.close()


@router.get("/public-key", summary="检查点验签公钥 (Ed25519, PEM + key id); public")
async def public_key(runtime: PointsDep) -> dict[str, str]:
    key = runtime.ledger.key
    return {"algorithm": "Ed25519", "key_id": key.key_id, "public_key_pem": key.public_pem}


@router.get("/export", summary="账本导出 NDJSON (format points-ledger-export v1), ends with a sealing checkpoint",
            response_class=StreamingResponse)
async def export(runtime: PointsDep, principal: PrincipalDep,
                 from_position: int = Query(1, alias="from", ge=1, description="起始位置（按检查点对齐）"),
                 to_position: int | None = Query(None, alias="to", ge=1, description="截止位置")) -> StreamingResponse:
    require_auditor(principal)
    now = runtime.clock.now()

    async def lines() -> AsyncIterator[bytes]:
        async with snapshot_connection(runtime) as conn:
            async for line in export_lines(conn, runtime.ledger.key, now, from_position=from_position,
                                           to_position=to_position):
                yield line.encode("ascii")

    return StreamingResponse(lines(), media_type=NDJSON,
                             headers={"content-disposition": 'attachment; filename="ledger.ndjson"'})


@router.post("/verify", summary="服务端链校验：哈希链 + 签名检查点，指出第一个异常位置")
async def verify(runtime: PointsDep, principal: PrincipalDep) -> dict[str, Any]:
    require_auditor(principal)
    async with snapshot_connection(runtime) as conn:
        result = await verify_ledger(conn, runtime.ledger.key, runtime.clock.now())
    finding = result.finding
    return {"ok": result.ok, "entries": result.entries, "checkpoints": result.checkpoints,
            "head_position": result.head_position, "head_hash": result.head_hash,
            "covered_through": result.covered_through,
            "finding": None if finding is None else {
                "kind": finding.kind.value, "position": finding.position, "detail_zh": finding.detail_zh,
                "detail_en": finding.detail_en, "since_position": finding.since_position}}


@router.post("/replay", summary="重算核对：按记录的规则与方案版本重算每条赋分")
async def replay(runtime: PointsDep, principal: PrincipalDep) -> dict[str, Any]:
    require_auditor(principal)
    async with snapshot_connection(runtime) as conn:
        report = await diff(conn, runtime.ledger.policy, parallel=rebuild_parallel(runtime.points_settings))
    return {"ok": not report.replay_mismatches, "entries": report.entries, "checked": report.awards_checked,
            "mismatches": report.replay_mismatches}


@router.get("/projections/diff", summary="投影重建比对：从账本重建余额/年度积分/排行榜并与实时投影比较")
async def projections_diff(runtime: PointsDep, principal: PrincipalDep) -> dict[str, Any]:
    require_auditor(principal)
    async with snapshot_connection(runtime) as conn:
        report = await diff(conn, runtime.ledger.policy, parallel=rebuild_parallel(runtime.points_settings))
    return {"ok": report.ok, "entries": report.entries, "difference_count": report.difference_count,
            "differences": report.differences, "row_mismatches": report.row_mismatches}


@router.get("/reconcile", summary="对账：已发放 = 会员持有 + 冻结 + 已兑换（+ 单位账户）")
async def reconcile(session: SessionDep, principal: PrincipalDep,
                    alliance_id: str = Query(min_length=1, max_length=128),
                    year: int | None = Query(None, ge=2000, le=2200, description="截至该年度末；省略为至今")
                    ) -> dict[str, Any]:
    principal.require(Role.AUDITOR, Role.ALLIANCE_OFFICE, Role.PLATFORM_ADMIN)
    await readable_alliance(session, principal, alliance_id)
    f = flows.c
    stmt = select(f.kind, func.sum(f.net_tenths)).where(f.alliance_id == alliance_id).group_by(f.kind)
    if year is not None:
        stmt = stmt.where(f.year <= year)
    sums = {kind: int(total) for kind, total in (await session.execute(stmt)).all()}
    issued = -sums.get("issuing", 0)
    held, pending, redeemed, unit = (sums.get(k, 0) for k in ("member", "pending", "redeemed", "unit"))
    total = await session.scalar(select(func.coalesce(func.sum(balances.c.balance_tenths), 0)))

    def p(tenths: int) -> str:
        return format_points(from_tenths(tenths))

    return {"alliance_id": alliance_id, "year": year, "issued": p(issued), "held": p(held), "pending": p(pending),
            "redeemed": p(redeemed), "unit_held": p(unit), "balanced": issued == held + pending + redeemed + unit,
            "ledger_total": p(int(total or 0)), "ledger_sums_to_zero": int(total or 0) == 0}
