"""Webhook intake: size → sender → signature on the RAW bytes → content type → parse → ONE transaction
(claim the webhook id in the log, check the directory, apply or quarantine, store the result).

A duplicate ``(sender, webhook-id)`` gets the ORIGINAL status and body back and changes nothing; the same id
with another body is refused (409). Quarantined messages are stored sealed and re-processed later, so
nothing received is lost. Refusals are recorded (sender, id, reason code, body digest — never the body).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.kit.errors import AppError, Conflict, PayloadTooLarge, Unauthorized
from libs.kit.runtime import ServiceRuntime
from libs.webhooks.standard import HEADER_ID, verify
from services.referral.application import directory_check, external
from services.referral.application.directory_check import Problem
from services.referral.context import Ctx
from services.referral.persistence import webhooks as repo
from services.referral.settings import ReferralSettings
from services.referral.webhooks import payload

log = logging.getLogger("referral.webhooks")


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = "不支持的内容类型"


@dataclass(frozen=True)
class Result:
    status_code: int
    body: dict[str, Any]
    replayed: bool = field(default=False)


async def receive(runtime: ServiceRuntime, sender: str, raw: bytes, headers: Mapping[str, str]) -> Result:
    settings: ReferralSettings = runtime.settings  # type: ignore[assignment]
    ctx = Ctx.of(runtime)
    if len(raw) > settings.webhook_max_body_bytes:
        raise PayloadTooLarge(f"webhook 请求体超过上限 {settings.webhook_max_body_bytes} 字节", field="body")
    secrets = ctx.keys.webhook.get(sender)
    if not secrets:
        raise Unauthorized("未知的 webhook 发送方", field="path.sender", code="unknown_sender")
    verified = verify(raw, headers, secrets, clock=ctx.clock,
                      tolerance=timedelta(seconds=settings.webhook_tolerance_seconds))
    _check_content_type(headers)
    body = payload.parse(raw)
    digest = hashlib.sha256(raw).hexdigest()
    async with runtime.transaction() as session:
        log_id, stored = await repo.claim(session, sender=sender, webhook_id=verified.msg_id, body_sha256=digest,
                                          event_type=body.type, now=ctx.now())
        if stored is not None:
            return _replay(stored, digest)
        assert log_id is not None
        result = await process(session, ctx, sender, verified.msg_id, body, raw)
        await repo.store_result(session, log_id, result.status_code, result.body)
    log.info("webhook accepted", extra={"sender": sender, "webhook_id": verified.msg_id, "type": body.type,
                                        "outcome": result.body["status"], "referral_id": result.body["referral_id"]})
    return result


async def process(session: AsyncSession, ctx: Ctx, sender: str, webhook_id: str, body: Any, raw: bytes) -> Result:
    prepared = external.prepare(ctx, sender, webhook_id, body)
    problems = await directory_check.problems_of(session, prepared)
    if problems:
        problems = await directory_check.recheck_under_lock(session, prepared)
    if problems:
        return await _quarantine(session, ctx, prepared, raw, problems)
    referral_id, status = await external.apply(session, ctx, prepared)
    return _applied(prepared, referral_id, status.value if status else None)


async def reprocess(session: AsyncSession, ctx: Ctx, entry: repo.Row) -> Result:
    """Run a quarantined message again (its directory refs may have arrived); same path as a new one."""
    sender, webhook_id = entry["sender"], entry["webhook_id"]
    raw = (ctx.open(payload_scope(sender, webhook_id), entry["payload_ct"]) or "").encode("utf-8")
    prepared = external.prepare(ctx, sender, webhook_id, payload.parse(raw))
    problems = await directory_check.problems_of(session, prepared)
    attempts = int(entry["attempts"]) + 1
    if problems:
        await repo.update_entry(session, entry["id"], attempts=attempts, **_reason_columns(problems))
        return Result(200, {"status": "quarantined", "quarantine_id": entry["id"], "webhook_id": webhook_id,
                            "referral_id": prepared.referral_id, **_reason_body(problems)})
    referral_id, status = await external.apply(session, ctx, prepared)
    await repo.update_entry(session, entry["id"], attempts=attempts, status="resolved", resolved_at=ctx.now())
    log.info("quarantined webhook applied", extra={"sender": sender, "webhook_id": webhook_id})
    return _applied(prepared, referral_id, status.value if status else None)


async def reprocess_waiting(session: AsyncSession, ctx: Ctx, refs: list[str]) -> int:
    """Called in a registry event's transaction: re-run every open entry waiting for one of ``refs``."""
    await directory_check.lock_directory(session)
    applied = 0
    for entry in await repo.waiting_for(session, refs):
        try:
            async with session.begin_nested():
                applied += (await reprocess(session, ctx, entry)).body["status"] == "applied"
        except AppError as exc:  # a message that cannot apply stays visible with the reason; the event goes on
            await repo.update_entry(session, entry["id"], attempts=int(entry["attempts"]) + 1,
                                    reason=f"重新处理失败：{exc.detail}"[:1000])
    return applied


async def record_refusal(runtime: ServiceRuntime, sender: str, raw: bytes, headers: Mapping[str, str],
                         exc: AppError) -> None:
    code = str(exc.extra.get("code") or exc.slug)[:40]
    log.warning("webhook refused", extra={"sender": _printable(sender, 32), "status": exc.status, "code": code})
    try:
        async with runtime.transaction() as session:
            await repo.refuse(session, sender=_printable(sender, 32), webhook_id=_printable(
                headers.get(HEADER_ID) or "", 256) or None, status_code=exc.status, code=code,
                body_sha256=hashlib.sha256(raw).hexdigest(), body_bytes=len(raw), received_at=runtime.clock.now())
    except Exception:  # the audit row must never mask the refusal itself
        log.exception("could not record webhook refusal")


def payload_scope(sender: str, webhook_id: str) -> str:
    return f"webhook:{sender}:{webhook_id}:body"


async def _quarantine(session: AsyncSession, ctx: Ctx, prepared: external.Prepared, raw: bytes,
                      problems: list[Problem]) -> Result:
    entry_id = await repo.quarantine(
        session, sender=prepared.sender, webhook_id=prepared.webhook_id, event_type=prepared.body.type,
        external_id=prepared.data.referral_id, alliance_id=getattr(prepared.data, "alliance_id", None),
        payload_ct=ctx.seal(payload_scope(prepared.sender, prepared.webhook_id), raw.decode("utf-8")),
        received_at=ctx.now(), **_reason_columns(problems))
    log.warning("webhook quarantined", extra={"sender": prepared.sender, "webhook_id": prepared.webhook_id,
                                              "reason_code": problems[0].code, "quarantine_id": entry_id})
    return Result(202, {"status": "quarantined", "quarantine_id": entry_id, "webhook_id": prepared.webhook_id,
                        "referral_id": prepared.referral_id, **_reason_body(problems)})


def _applied(prepared: external.Prepared, referral_id: str, status: str | None) -> Result:
    return Result(200, {"status": "applied", "webhook_id": prepared.webhook_id, "referral_id": referral_id,
                        "referral_status": status})


def _reason_columns(problems: list[Problem]) -> dict[str, Any]:
    refs = sorted({ref for p in problems for ref in p.refs})
    return {"reason_code": problems[0].code, "reason": "；".join(p.detail for p in problems)[:1000],
            "missing_refs": refs}


def _reason_body(problems: list[Problem]) -> dict[str, Any]:
    return {"reason_code": problems[0].code, "reason": "；".join(p.detail for p in problems),
            "waiting_for": sorted({ref for p in problems for ref in p.refs})}


def _replay(stored: repo.Row, digest: str) -> Result:
    if stored["body_sha256"] != digest:
        raise Conflict("同一 webhook-id 已用于内容不同的消息，已拒绝", field=f"headers.{HEADER_ID}",
                       code="webhook_id_reused")
    return Result(int(stored["status_code"]), dict(stored["result"]), replayed=True)


def _check_content_type(headers: Mapping[str, str]) -> None:
    lowered = {k.lower(): v for k, v in headers.items()}
    media = (lowered.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaType("webhook 请求体须为 application/json", field="headers.content-type")


def _printable(value: str, limit: int) -> str:
    return "".join(ch for ch in value if 32 <= ord(ch) < 127)[:limit]
