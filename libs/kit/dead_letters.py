"""Dead-letter admin routes: list parked messages with their error, and retry one.

Mounted by the service template; ``/admin`` routes are for operators and check no principal themselves: the
gateway lets only platform operators through (auditors: GET only), see ``services/gateway/auth/policy.py``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from libs.events.consumer import retry_dead_letter
from libs.kit.deps import RuntimeDep
from libs.kit.errors import NotFound


def dead_letter_router() -> APIRouter:
    router = APIRouter(prefix="/admin/dead-letters", tags=["ops"])

    @router.get("", summary="死信列表 parked messages")
    async def list_dead_letters(runtime: RuntimeDep, status: str = Query("parked", pattern="^(parked|resolved)$"),
                                limit: int = Query(100, ge=1, le=500)) -> list[dict[str, Any]]:
        table = runtime.tables.dead_letters
        async with runtime.transaction() as session:
            rows = (await session.execute(select(table).where(table.c.status == status)
                                          .order_by(table.c.id).limit(limit))).mappings().all()
        return [{k: v for k, v in row.items() if k != "payload"} | {"payload_bytes": len(row["payload"])}
                for row in rows]

    @router.post("/{letter_id}/retry", summary="重试死信 retry a parked message")
    async def retry(runtime: RuntimeDep, letter_id: int = Path(ge=1, le=2**63 - 1)) -> dict[str, Any]:
        assert runtime.sessions is not None
        for consumer in runtime.consumers:
            outcome = await retry_dead_letter(consumer, runtime.sessions, letter_id)
            if outcome is not None:
                return {"id": letter_id, "outcome": outcome.value}
        raise NotFound(f"死信 {letter_id} 不存在或已处理", field="letter_id")

    return router
