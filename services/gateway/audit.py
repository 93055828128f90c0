"""Security audit trail (MLPS 2.0 8.1.4.3): who, when, what, result — for authentications and denials.

Records go to ``gateway.security_audit`` (append-only: the database refuses UPDATE, DELETE and TRUNCATE) when
the gateway has a database, else to structured log lines (local runs without one). Writing is batched off the
request path; a failed write is retried on the next flush and reported as an error, never dropped silently.
A successful bearer-token authentication is recorded once per token and gateway replica (``SEEN_TTL``), not on
every request: the first use is the event an auditor needs, the rest is the access log.

Log lines carry no client IP (personal data under PIPL); the audit table does, as MLPS requires the source.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from libs.auth.principal import Principal
from libs.kit.clock import Clock
from services.gateway.persistence.tables import security_audit

log = logging.getLogger("security_audit")
SEEN_TTL = 600.0  # seconds a token's success stays recorded before its next use is recorded again
MAX_PENDING = 50_000


@dataclass(frozen=True)
class AuditRecord:
    occurred_at: datetime
    event: str
    result: str  # success | failure | denied
    reason: str | None = None
    subject: str | None = None
    role: str | None = None
    client_ip: str | None = None
    method: str | None = None
    path: str | None = None
    status: int | None = None
    request_id: str | None = None


class AuditSink(Protocol):
    async def write(self, records: Sequence[AuditRecord]) -> None: ...


class PostgresAuditSink:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def write(self, records: Sequence[AuditRecord]) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(security_audit), [asdict(r) for r in records])


class LogAuditSink:
    async def write(self, records: Sequence[AuditRecord]) -> None:
        for record in records:
            fields = {k: v for k, v in asdict(record).items() if k != "client_ip" and v is not None}
            log.info("security audit", extra={"audit": fields})


class SecurityAudit:
    def __init__(self, sink: AuditSink, clock: Clock, *, flush_seconds: float = 0.5) -> None:
        self._sink, self._clock, self._flush_seconds = sink, clock, flush_seconds
        self._pending: deque[AuditRecord] = deque()
        self._seen_tokens: OrderedDict[str, float] = OrderedDict()
        self._lock = asyncio.Lock()

    def record(self, request: Request, event: str, result: str, *, reason: str | None = None,
               principal: Principal | None = None, status: int | None = None) -> None:
        self._pending.append(AuditRecord(
            occurred_at=self._clock.now(), event=event, result=result, reason=reason,
            subject=principal.sub if principal else None, role=principal.role.value if principal else None,
            client_ip=request.client.host if request.client else None, method=request.method,
            path=request.url.path[:500], status=status, request_id=getattr(request.state, "request_id", None)))
        if len(self._pending) > MAX_PENDING:
            self._pending.popleft()
            log.error("security audit backlog full: oldest record dropped", extra={"pending": MAX_PENDING})

    def token_accepted(self, request: Request, token: str, principal: Principal) -> None:
        digest, now = hashlib.sha256(token.encode()).hexdigest(), time.monotonic()
        seen = self._seen_tokens.pop(digest, None)
        self._seen_tokens[digest] = now if seen is None or now - seen > SEEN_TTL else seen
        while len(self._seen_tokens) > MAX_PENDING:
            self._seen_tokens.popitem(last=False)
        if seen is None or now - seen > SEEN_TTL:
            self.record(request, "authn.token", "success", principal=principal)

    async def flush(self) -> None:
        async with self._lock:
            batch = list(self._pending)
            if not batch:
                return
            try:
                await self._sink.write(batch)
            except Exception as exc:  # kept for the next flush; an operator must see it
                log.error("security audit write failed", extra={"pending": len(batch), "error": type(exc).__name__})
                return
            for _ in batch:
                self._pending.popleft()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._flush_seconds)
            await self.flush()
