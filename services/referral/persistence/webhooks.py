"""The webhook log (every accepted ``(sender, webhook-id)`` forever, with its body digest and result), the
quarantine (sealed payloads waiting for the directory) and the refusals (a security audit trail)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.dialects.postgresql import array, insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral.persistence.tables import webhook_log, webhook_quarantine, webhook_rejections

Row = RowMapping  # a row as SQLAlchemy returns it (mapping of column name to value)
# Built once (hot path): the log is written twice per webhook.
_CLAIM = insert(webhook_log).values(
    sender=bindparam("sender"), webhook_id=bindparam("webhook_id"), body_sha256=bindparam("body_sha256"),
    event_type=bindparam("event_type"), received_at=bindparam("received_at"),
).on_conflict_do_nothing(constraint="uq_webhook_log_sender_webhook_id").returning(webhook_log.c.id)
_STORED = select(webhook_log).where(webhook_log.c.sender == bindparam("sender"),
                                    webhook_log.c.webhook_id == bindparam("webhook_id"))
_RESULT = update(webhook_log).where(webhook_log.c.id == bindparam("log_id")).values(
    status_code=bindparam("status_code"), result=bindparam("result", type_=webhook_log.c.result.type))


async def claim(session: AsyncSession, *, sender: str, webhook_id: str, body_sha256: str, event_type: str,
                now: datetime) -> tuple[int | None, Row | None]:
    """(new log id, None) for a first delivery; (None, stored row) for a duplicate.

    A concurrent identical delivery blocks on the unique index until the first transaction ends: then it
    sees the committed row (→ the stored result), or inserts itself if the first rolled back."""
    key = {"sender": sender, "webhook_id": webhook_id}
    new_id = await session.scalar(_CLAIM, {**key, "body_sha256": body_sha256, "event_type": event_type,
                                           "received_at": now})
    if new_id is not None:
        return int(new_id), None
    return None, (await session.execute(_STORED, key)).mappings().one()


async def store_result(session: AsyncSession, log_id: int, status_code: int, result: Mapping[str, Any]) -> None:
    await session.execute(_RESULT, {"log_id": log_id, "status_code": status_code, "result": dict(result)})


async def quarantine(session: AsyncSession, **values: Any) -> int:
    stmt = insert(webhook_quarantine).values(**values).returning(webhook_quarantine.c.id)
    return int(await session.scalar(stmt) or 0)


async def quarantined(session: AsyncSession, entry_id: int) -> Row | None:
    stmt = select(webhook_quarantine).where(webhook_quarantine.c.id == entry_id).with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def waiting_for(session: AsyncSession, refs: Sequence[str]) -> list[Row]:
    """Open entries waiting for any of ``refs``; SKIP LOCKED so two consumers never work the same entry."""
    stmt = (select(webhook_quarantine)
            .where(webhook_quarantine.c.status == "open",
                   webhook_quarantine.c.missing_refs.op("?|")(array(list(refs))))
            .order_by(webhook_quarantine.c.id).with_for_update(skip_locked=True))
    return list((await session.execute(stmt)).mappings().all())


async def update_entry(session: AsyncSession, entry_id: int, **values: Any) -> None:
    await session.execute(update(webhook_quarantine).where(webhook_quarantine.c.id == entry_id).values(**values))


def listing(status: str) -> Select[Any]:
    columns = [c for c in webhook_quarantine.c if c.name != "payload_ct"]
    return select(*columns).where(webhook_quarantine.c.status == status)


async def refuse(session: AsyncSession, **values: Any) -> None:
    await session.execute(insert(webhook_rejections).values(**values))


async def refusals(session: AsyncSession, limit: int = 100) -> list[Row]:
    stmt = select(webhook_rejections).order_by(webhook_rejections.c.id.desc()).limit(limit)
    return list((await session.execute(stmt)).mappings().all())

