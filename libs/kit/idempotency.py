"""Idempotency-Key for POSTs that create (IETF draft-ietf-httpapi-idempotency-key-header behaviour).

A route opts in with one parameter and answers through it::

    @router.post("/redemptions", status_code=201)
    async def redeem(body: RedeemIn, session: SessionDep, principal: PrincipalDep, idem: IdempotencyDep) -> Response:
        redemption = await redeem_points(session, principal, body)
        return await idem.respond(201, RedemptionOut.from_domain(redemption))

Behaviour:
- missing header → 400 naming ``Idempotency-Key``;
- same principal, key and request (method, path, query, raw body bytes) → the first stored response is
  replayed (status, body, stored headers) with ``Idempotent-Replayed: true``; the route body does not run;
- same principal and key, another request → 422;
- a duplicate while the first is still in its transaction → 409 at once (never a silent wait);
- keys are scoped per principal (role + sub): another caller's key is another key;
- a stored response expires after ``KEY_TTL`` (24 h); after that the key may be used again.

The stored response is written in the request-owned transaction (``SessionDep``), so it commits or rolls back
together with the effect: a crash after commit replays, a crash before commit leaves nothing and the retry
runs again. Only the response returned through ``respond`` is stored; an error (``AppError``) rolls the
transaction back and stores nothing, so a refused request can be retried with the same key.

Concurrency: a transaction-scoped advisory lock on (table, principal, key) is tried first. The holder keeps it
until its commit, so a second request sees it taken and answers 409 rather than blocking on the primary key.
The primary key (principal, key) stays the backstop: a unique violation also becomes 409.

The app must install the replay handler once: ``install_idempotency(app)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

import pydantic_core
from fastapi import Depends, FastAPI, Header, Request
from sqlalchemy import RowMapping, Table, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from libs.auth.deps import PrincipalDep
from libs.kit.deps import RuntimeDep, SessionDep
from libs.kit.errors import AppError, Conflict, InvalidInput

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 200
# Headers of the first response that a replay repeats; request-specific ones (x-request-id, date) are not.
STORED_HEADERS = ("content-type", "location", "etag", "content-language")
_FIELD = "header.Idempotency-Key"


class MissingIdempotencyKey(AppError):
    status = 400
    slug = "idempotency-key-missing"
    title = "缺少幂等键"


class IdempotentReplay(Exception):
    """Raised by the dependency to short-circuit the route; rendered by the handler of ``install_idempotency``."""

    def __init__(self, response: Response) -> None:
        super().__init__("idempotent replay")
        self.response = response


def install_idempotency(app: FastAPI) -> None:
    async def _replay(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, IdempotentReplay)
        return exc.response

    app.add_exception_handler(IdempotentReplay, _replay)


@dataclass
class IdempotentRequest:
    session: AsyncSession
    table: Table
    principal: str
    key: str
    method: str
    path: str
    fingerprint: str
    expires_at: datetime
    responded: bool = field(default=False)

    async def respond(self, status: int, body: Any = None, headers: Mapping[str, str] | None = None) -> Response:
        """Build the JSON response and store it in the current transaction (replayed on a retry)."""
        content = b"" if body is None else pydantic_core.to_json(body, by_alias=True)
        response = Response(content, status_code=status, headers=dict(headers or {}),
                            media_type="application/json" if body is not None else None)
        stored = {k: v for k, v in response.headers.items() if k in STORED_HEADERS or k in _lower(headers)}
        try:
            async with self.session.begin_nested():
                await self.session.execute(insert(self.table).values(
                    principal=self.principal, key=self.key, method=self.method, path=self.path,
                    request_sha256=self.fingerprint, status="done", response_status=status,
                    response_headers=stored, response_body=content, expires_at=self.expires_at))
        except IntegrityError as exc:
            raise _in_progress() from exc
        self.responded = True
        return response


def _lower(headers: Mapping[str, str] | None) -> set[str]:
    return {k.lower() for k in (headers or {})}


def _in_progress() -> Conflict:
    return Conflict("相同 Idempotency-Key 的请求正在处理中，请稍后重试", field=_FIELD, code="idempotency_in_progress")


def parse_key(raw: str | None) -> str:
    """The key as sent; a structured-field string (``"abc"``) is unquoted, as the draft specifies."""
    if raw is None or not raw.strip():
        raise MissingIdempotencyKey(f"此接口需要请求头 {IDEMPOTENCY_HEADER}（每次新操作使用新的唯一值，重试时沿用）",
                                    field=_FIELD)
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all(33 <= ord(c) <= 126 for c in key):
        raise InvalidInput(f"{IDEMPOTENCY_HEADER} 须为 1–{MAX_KEY_LENGTH} 个可见 ASCII 字符", field=_FIELD)
    return key


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode()):
        digest.update(len(part).to_bytes(4, "big") + part)  # length-prefixed: no ambiguity between parts
    digest.update(body)
    return digest.hexdigest()


async def claim(session: AsyncSession, table: Table, principal: str, key: str, request_sha256: str,
                now: datetime) -> Response | None:
    """Lock (principal, key) for this transaction; the stored response if this is a replay, else None."""
    lock_name = f"{table.schema}.{table.name}|{principal}|{key}"
    locked = await session.scalar(select(func.pg_try_advisory_xact_lock(func.hashtextextended(lock_name, 0))))
    if not locked:
        raise _in_progress()
    row = (await session.execute(select(table).where(table.c.principal == principal, table.c.key == key))
           ).mappings().one_or_none()
    if row is None:
        return None
    if row["expires_at"] <= now:
        await session.execute(delete(table).where(table.c.principal == principal, table.c.key == key))
        return None
    if row["request_sha256"] != request_sha256:
        raise InvalidInput("该 Idempotency-Key 已用于内容不同的请求，请为新操作使用新的键", field=_FIELD,
                           code="idempotency_key_reused")
    return _replay(row)


def _replay(row: RowMapping) -> Response:
    headers = {**(row["response_headers"] or {}), REPLAYED_HEADER: "true"}
    return Response(bytes(row["response_body"] or b""), status_code=row["response_status"], headers=headers)


async def _idempotency(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    idempotency_key: Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER, description=(
        "必填。幂等键：同一操作重试时沿用，新操作使用新的唯一值（如 UUID）；24 小时内有效"))] = None,
) -> AsyncIterator[IdempotentRequest]:
    if IdempotentReplay not in request.app.exception_handlers:
        # Fail on first use, not on the first retry in production: a replay would otherwise answer 500.
        raise RuntimeError("IdempotencyDep needs install_idempotency(app) on the service app")
    key = parse_key(idempotency_key)
    table = runtime.tables.idempotency
    owner = f"{principal.role.value}:{principal.sub}"
    digest = fingerprint(request.method, request.url.path, request.url.query, await request.body())
    now = runtime.clock.now()
    stored = await claim(session, table, owner, key, digest, now)
    if stored is not None:
        raise IdempotentReplay(stored)
    idem = IdempotentRequest(session=session, table=table, principal=owner, key=key, method=request.method,
                             path=request.url.path[:500], fingerprint=digest, expires_at=now + KEY_TTL)
    yield idem
    if not idem.responded:
        # A programming error: the effect would commit without its stored response, and a retry would repeat it.
        raise RuntimeError("route declared IdempotencyDep but returned without idem.respond(...)")


IdempotencyDep = Annotated[IdempotentRequest, Depends(_idempotency, scope="function")]


async def purge_expired(session: AsyncSession, table: Table, now: datetime) -> int:
    """Delete expired keys (a periodic job may call it; expired keys are also replaced lazily on reuse)."""
    result = await session.execute(delete(table).where(table.c.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
